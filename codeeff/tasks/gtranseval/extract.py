"""Get the code out of a model's answer: markdown fences, prose before/after the code, or a bare continuation.

The prompt opens a fence for the model (``gen_prefix`` = "```python\\n"), so a well-behaved answer is code followed by
a closing fence (a stop sequence). Chatty models still write prose or open their own fences; this handles both.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*([\w#+.\-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_LANG_TAGS = {
    "python": ("python", "py", "python3"),
    "java": ("java",),
    "cpp": ("cpp", "c++", "cc", "cxx", "c"),
    "csharp": ("csharp", "cs", "c#"),
    "javascript": ("javascript", "js", "node", "nodejs"),
}
_CODE_START = {
    "python": re.compile(r"^(?:def |class |import |from |@|async def )"),
    "java": re.compile(r"^(?:import |public |private |protected |static |class |[\w<>\[\], ]+\s+\w+\s*\()"),
    "cpp": re.compile(r"^(?:#include|using |template|class |struct |static |[\w:<>\[\], *&]+\s+\w+\s*\()"),
    "csharp": re.compile(r"^(?:using |public |private |static |class |[\w<>\[\], ]+\s+\w+\s*\()"),
    "javascript": re.compile(r"^(?:function |const |let |var |class |async function |module\.exports)"),
}


def extract_code(response: str, language: str) -> str:
    """The code of ``response`` (a ``language`` translation); the whole text if no code structure is recognised."""
    text = response.replace("\r\n", "\n")
    # The prompt already opened a fence: everything up to a closing fence is the code.
    if "```" in text and not text.lstrip().startswith("```"):
        head = text.split("```", 1)[0]
        if _looks_like_code(head, language):
            return _dedent_block(head)
    blocks = _FENCE.findall(text if text.lstrip().startswith("```") or "```" in text else "")
    if blocks:
        tagged = [body for tag, body in blocks if tag.lower() in _LANG_TAGS[language]]
        chosen = tagged or [body for _, body in blocks]
        return _dedent_block(max(chosen, key=len) if len(chosen) > 1 and not tagged else chosen[0])
    return _strip_prose(text, language)


def _looks_like_code(text: str, language: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and any(_CODE_START[language].match(line.strip()) for line in lines)


def _strip_prose(text: str, language: str) -> str:
    """Drop leading prose lines before the first code-looking line, and trailing prose after the code."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _CODE_START[language].match(line.strip())), None)
    if start is None:
        return _dedent_block(text)
    body = lines[start:]
    if language == "python":
        end = len(body)
        for i, line in enumerate(body[1:], 1):
            if line and not line[0].isspace() and not _CODE_START["python"].match(line) and not _is_python_stmt(line):
                end = i
                break
        body = body[:end]
    else:
        depth, end, seen = 0, len(body), False
        for i, line in enumerate(body):
            depth += line.count("{") - line.count("}")
            seen = seen or "{" in line
            if seen and depth <= 0 and line.strip().endswith("}"):
                end = i + 1
                rest = "\n".join(body[i + 1 :])
                if not _CODE_START[language].search(rest.strip()):
                    break
        body = body[:end]
    return _dedent_block("\n".join(body))


def _is_python_stmt(line: str) -> bool:
    return bool(re.match(r"^[A-Za-z_][\w.]*\s*(?:=|\(|\[)|^(?:if|for|while|try|with|return|print)\b|^#", line))


def _dedent_block(code: str) -> str:
    import textwrap

    return textwrap.dedent(code).strip("\n") + "\n"
