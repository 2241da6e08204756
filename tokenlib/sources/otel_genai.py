"""OpenTelemetry GenAI readers' shared parts: providers, content, tags.

The OTLP JSON files are flattened by :mod:`tokenlib.sources.otlp`; what is
here is specific to the GenAI semantic conventions.

Provider names of the GenAI conventions become the price book's ids:

=============================================  ===============
``gen_ai.provider.name`` / ``gen_ai.system``   ledger provider
=============================================  ===============
aws.bedrock                                    aws
azure.ai.openai, az.ai.openai (deprecated)     azure
azure.ai.inference, az.ai.inference (depr.)    azure
gcp.gemini, gcp.vertex_ai, gcp.gen_ai          google
gemini, vertex_ai (deprecated)                 google
mistral_ai                                     mistral
x_ai, xai (deprecated)                         x-ai
moonshot_ai                                    moonshotai
any other (openai, anthropic, cohere, ...)     as given
=============================================  ===============

Notes
-----
Message content (``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions``, ``gen_ai.prompt``, ``gen_ai.completion``,
tool call arguments and results, and the content keys of OpenInference and
Traceloop) is dropped while attributes are read, so it reaches neither the
ledger nor quarantine; span events are never read. Content under other
attribute names is not recognised.
"""

from __future__ import annotations

from .base import literal

__all__ = [
    "CONTENT_KEYS",
    "PROVIDERS",
    "drop_content",
    "is_claude_code",
    "provider_sql",
    "tags",
]

#: Attributes that hold message content; never read.
CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "input.value",
    "output.value",
    "traceloop.entity.input",
    "traceloop.entity.output",
)
# Indexed content of older or neighbouring conventions: gen_ai.prompt.0.content
_CONTENT_PREFIXES = (
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "llm.input_messages",
    "llm.output_messages",
)

PROVIDERS = {
    "aws.bedrock": "aws",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.inference": "azure",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "xai": "x-ai",
    "moonshot_ai": "moonshotai",
}


def drop_content() -> dict[str, tuple[str, ...]]:
    """Keyword arguments for :mod:`.otlp` flatteners that leave content out."""
    return {"drop": CONTENT_KEYS, "drop_prefixes": _CONTENT_PREFIXES}


def tags(pairs: dict[str, str]) -> str:
    """SQL for a JSON object of the given SQL values, leaving nulls out."""
    items = ", ".join(
        f"struct_pack(k := {literal(k)}, v := CAST({v} AS VARCHAR))"
        for k, v in pairs.items()
    )
    return (
        f"CAST(to_json(map_from_entries(list_filter([{items}], "
        "lambda e: e.v IS NOT NULL))) AS JSON)"
    )


def provider_sql(raw: str) -> str:
    """SQL mapping a convention provider name to the price book's id."""
    whens = " ".join(
        f"WHEN {literal(k)} THEN {literal(v)}" for k, v in PROVIDERS.items()
    )
    return f"CASE lower({raw}) {whens} ELSE lower({raw}) END"


def is_claude_code(seen: dict) -> bool:
    """Tell Claude Code telemetry (another reader's) from :func:`.otlp_peek.peek`."""
    return (
        "claude-code" in seen["services"]
        or any(s.startswith("com.anthropic.claude_code") for s in seen["scopes"])
        or any(n.startswith("claude_code.") for n in seen["names"])
    )
