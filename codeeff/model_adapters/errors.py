"""The one error a variant spec raises, shared by the key table (:mod:`.spec`) and every transform's validation."""


class VariantSpecError(ValueError):
    """A variant spec (file or model_args) is invalid; the message names the key and the problem."""
