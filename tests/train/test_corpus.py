import pytest

from codeeff.train.corpus import load_corpus, token_blocks


def test_training_rows_are_the_files_tail_and_disjoint(data_dir):
    corpus = load_corpus("python", 10, 5, str(data_dir))
    record = corpus.record
    total = record["rows_in_file"]
    assert record["train_rows"] == [total - 10, total] and record["val_rows"] == [total - 15, total - 10]
    assert record["heldout_from"] == total - 15 >= total // 2
    assert len(corpus.train) == 10 and len(corpus.val) == 5 and record["sha256"]
    assert not set(corpus.train) & set(corpus.val)


def test_skipped_rows_move_training_and_validation_before_them(data_dir):
    tail = load_corpus("python", 10, 5, str(data_dir))
    before = load_corpus("python", 10, 5, str(data_dir), skip_last=15)
    total = before.record["rows_in_file"]
    assert before.record["skipped_rows"] == [total - 15, total]
    assert before.record["train_rows"] == [total - 25, total - 15] and before.record["val_rows"] == [
        total - 30,
        total - 25,
    ]
    assert before.record["heldout_from"] == total - 30
    # another producer's training + validation rows (the last 15) are never seen
    assert not (set(before.train) | set(before.val)) & (set(tail.train) | set(tail.val))
    with pytest.raises(ValueError, match="skipped"):
        load_corpus("python", 10, 5, str(data_dir), skip_last=-1)
    with pytest.raises(ValueError, match="half"):
        load_corpus("python", 10, 5, str(data_dir), skip_last=total // 2)


def test_py150_evaluation_documents_never_reach_the_training_rows(data_dir):
    from codeeff.tasks.codexglue.context_task import load

    corpus = load_corpus("python", 200, 50, str(data_dir))
    docs = load("py150_ctx30", "python", 0.3, data_dir=str(data_dir))["test"]
    first_docs = docs.select(range(200))  # what --limit 200 evaluates
    assert max(first_docs["id"]) < corpus.record["heldout_from"]


def test_too_many_rows_and_bad_language_are_errors(data_dir):
    with pytest.raises(ValueError, match="half"):
        load_corpus("java", 1500, 10, str(data_dir))
    with pytest.raises(ValueError, match="--language"):
        load_corpus("cobol", 1, 1, str(data_dir))


def test_token_blocks(tiny6):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny6)
    blocks = token_blocks(tokenizer, ["def f ( ) : return 1"] * 20, 16, max_blocks=3)
    assert tuple(blocks.shape) == (3, 16)
    with pytest.raises(ValueError, match="not one block"):
        token_blocks(tokenizer, ["x"], 512)
