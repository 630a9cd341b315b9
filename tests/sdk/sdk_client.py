"""Drive the relay with the official `anthropic` and `openai` Python SDKs.

Usage: RELAY_URL=http://127.0.0.1:PORT RELAY_KEY=... python sdk_client.py CASE

Prints one line of JSON describing what the SDK returned and exits 0; on any exception
prints the error to stderr and exits 1. Retries are off (max_retries=0) so failures show.

Cases: anthropic-stream, anthropic-create, chat-stream, chat-stream-usage, chat-create,
responses-stream, responses-create, anthropic-error, openai-error, and the tool-call cases
chat-tools-stream, responses-tools-stream, anthropic-tools-stream (one `get_weather` tool).
"""

import json
import os
import sys
import traceback
import warnings

# The Anthropic SDK warns on stderr about the model's planned end-of-life; keep stderr for
# real failures.
warnings.filterwarnings("ignore", message=r"The model .* is deprecated", category=DeprecationWarning)

PROMPT = "Say hello."
ANTHROPIC_MODEL = "claude-sonnet-4-5"
OPENAI_MODEL = "gpt-4.1"
BAD_MODEL = "no-such-model-xyz"
TIMEOUT = 30.0


def relay_url():
    url = os.environ.get("RELAY_URL")
    if not url:
        raise RuntimeError("RELAY_URL is not set")
    return url.rstrip("/")


def relay_key():
    return os.environ.get("RELAY_KEY") or "relay-test-key"


def anthropic_client():
    import anthropic

    return anthropic.Anthropic(
        base_url=relay_url(), api_key=relay_key(), max_retries=0, timeout=TIMEOUT
    )


def openai_client():
    import openai

    return openai.OpenAI(
        base_url=relay_url() + "/v1", api_key=relay_key(), max_retries=0, timeout=TIMEOUT
    )


def anthropic_fields(message, text):
    final_text = "".join(b.text for b in message.content if b.type == "text")
    usage = message.usage
    return {
        "text": text if text is not None else final_text,
        "final_text": final_text,
        "model": message.model,
        "stop_reason": message.stop_reason,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read": usage.cache_read_input_tokens,
        "cache_write": usage.cache_creation_input_tokens,
    }


def case_anthropic_stream():
    client = anthropic_client()
    with client.messages.stream(
        model=ANTHROPIC_MODEL,
        max_tokens=64,
        messages=[{"role": "user", "content": PROMPT}],
    ) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    return anthropic_fields(final, text)


def case_anthropic_create():
    client = anthropic_client()
    message = client.messages.create(
        model=ANTHROPIC_MODEL,
        max_tokens=64,
        messages=[{"role": "user", "content": PROMPT}],
    )
    return anthropic_fields(message, None)


def chat_usage(usage):
    if usage is None:
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cached_tokens": getattr(details, "cached_tokens", None) if details else None,
    }


def chat_stream(include_usage):
    client = openai_client()
    kwargs = {}
    if include_usage:
        kwargs["stream_options"] = {"include_usage": True}
    stream = client.chat.completions.create(
        model=OPENAI_MODEL,
        stream=True,
        messages=[{"role": "user", "content": PROMPT}],
        **kwargs,
    )
    text, chunks, model, finish_reason, usage = "", 0, None, None, None
    for chunk in stream:
        chunks += 1
        model = chunk.model or model
        if getattr(chunk, "usage", None) is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta is not None and choice.delta.content:
                text += choice.delta.content
            if choice.finish_reason:
                finish_reason = choice.finish_reason
    return {
        "text": text,
        "chunks": chunks,
        "model": model,
        "finish_reason": finish_reason,
        "usage": chat_usage(usage),
    }


def case_chat_stream():
    return chat_stream(False)


def case_chat_stream_usage():
    return chat_stream(True)


def case_chat_create():
    client = openai_client()
    completion = client.chat.completions.create(
        model=OPENAI_MODEL,
        messages=[{"role": "user", "content": PROMPT}],
    )
    usage = chat_usage(completion.usage) or {}
    return {
        "text": completion.choices[0].message.content,
        "model": completion.model,
        "finish_reason": completion.choices[0].finish_reason,
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "cached_tokens": usage.get("cached_tokens"),
    }


def responses_fields(response, events):
    usage = response.usage
    details = getattr(usage, "input_tokens_details", None) if usage else None
    out = {
        "text": response.output_text,
        "model": response.model,
        "status": response.status,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "cached_tokens": getattr(details, "cached_tokens", None) if details else None,
    }
    if events is not None:
        out["events"] = events
    return out


def case_responses_stream():
    client = openai_client()
    events = 0
    with client.responses.stream(model=OPENAI_MODEL, input=PROMPT) as s:
        for _event in s:
            events += 1
        final = s.get_final_response()
    return responses_fields(final, events)


def case_responses_create():
    client = openai_client()
    response = client.responses.create(model=OPENAI_MODEL, input=PROMPT)
    return responses_fields(response, None)


def error_fields(e):
    body = e.body
    # Both SDKs hand over the inner `error` object; unwrap it if a raw body got through.
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if not isinstance(body, dict):
        try:
            raw = e.response.json()
            body = raw.get("error", raw) if isinstance(raw, dict) else {}
        except Exception:  # noqa: BLE001 - a non-JSON error body
            body = {}
    return {
        "status": e.status_code,
        "type": body.get("type"),
        "message": body.get("message"),
    }


def case_anthropic_error():
    import anthropic

    client = anthropic_client()
    try:
        client.messages.create(
            model=BAD_MODEL,
            max_tokens=16,
            messages=[{"role": "user", "content": PROMPT}],
        )
    except anthropic.APIStatusError as e:
        return error_fields(e)
    raise RuntimeError("expected an APIStatusError, the request succeeded")


def case_openai_error():
    import openai

    client = openai_client()
    try:
        client.chat.completions.create(
            model=BAD_MODEL,
            messages=[{"role": "user", "content": PROMPT}],
        )
    except openai.APIStatusError as e:
        return error_fields(e)
    raise RuntimeError("expected an APIStatusError, the request succeeded")


WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
WEATHER_PROMPT = "What is the weather in Paris? Use the tool."


def case_chat_tools_stream():
    calls = {}
    finish = None
    stream = openai_client().chat.completions.create(
        model=OPENAI_MODEL,
        stream=True,
        messages=[{"role": "user", "content": WEATHER_PROMPT}],
        tools=[
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA},
            }
        ],
    )
    for chunk in stream:
        for choice in chunk.choices:
            for tc in choice.delta.tool_calls or []:
                call = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
                if tc.id:
                    call["id"] = tc.id
                if tc.function and tc.function.name:
                    call["name"] += tc.function.name
                if tc.function and tc.function.arguments:
                    call["arguments"] += tc.function.arguments
            if choice.finish_reason:
                finish = choice.finish_reason
    return {
        "tool_calls": [
            {"id": c["id"], "name": c["name"], "input": json.loads(c["arguments"])}
            for _, c in sorted(calls.items())
        ],
        "finish_reason": finish,
    }


def case_responses_tools_stream():
    with openai_client().responses.stream(
        model=OPENAI_MODEL,
        input=WEATHER_PROMPT,
        tools=[{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}],
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    calls = [item for item in final.output if item.type == "function_call"]
    return {
        "tool_calls": [
            {"id": c.call_id, "name": c.name, "input": json.loads(c.arguments)} for c in calls
        ],
        "status": final.status,
    }


def case_anthropic_tools_stream():
    with anthropic_client().messages.stream(
        model=ANTHROPIC_MODEL,
        max_tokens=256,
        messages=[{"role": "user", "content": WEATHER_PROMPT}],
        tools=[{"name": "get_weather", "input_schema": WEATHER_SCHEMA}],
    ) as stream:
        final = stream.get_final_message()
    calls = [b for b in final.content if b.type == "tool_use"]
    return {
        "tool_calls": [{"id": c.id, "name": c.name, "input": c.input} for c in calls],
        "stop_reason": final.stop_reason,
    }


CASES = {
    "anthropic-stream": case_anthropic_stream,
    "anthropic-create": case_anthropic_create,
    "chat-stream": case_chat_stream,
    "chat-stream-usage": case_chat_stream_usage,
    "chat-create": case_chat_create,
    "responses-stream": case_responses_stream,
    "responses-create": case_responses_create,
    "anthropic-error": case_anthropic_error,
    "openai-error": case_openai_error,
    "chat-tools-stream": case_chat_tools_stream,
    "responses-tools-stream": case_responses_tools_stream,
    "anthropic-tools-stream": case_anthropic_tools_stream,
}


def main(argv):
    if len(argv) != 2 or argv[1] not in CASES:
        print(f"usage: sdk_client.py {{{'|'.join(CASES)}}}", file=sys.stderr)
        return 2
    try:
        result = CASES[argv[1]]()
    except Exception as e:  # noqa: BLE001 - report any failure and exit 1
        print(f"{argv[1]}: {type(e).__name__}: {e}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
