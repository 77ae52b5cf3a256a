"""Cross-checks Fixtures/chat-templates.json against Python's jinja2 set up the way transformers compiles chat templates
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, tojson without ASCII escaping, raise_exception):
the fixture's expected texts come from @huggingface/jinja, and this confirms that the engine transformers itself uses
renders every case the same. Needs only jinja2 (pip install jinja2, or Debian's python3-jinja2):

    python3 scripts/chat_templates/check_with_python_jinja2.py
"""
import json
import pathlib
import sys
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Rebel.Models.Tests" / "Fixtures" / "chat-templates.json"


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def main():
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    env = environment()
    compiled = {name: env.from_string(t["source"]) for name, t in fixture["templates"].items()}
    failures = 0
    for case in fixture["cases"]:
        t = fixture["templates"][case["template"]]
        variables = {"messages": fixture["conversations"][case["conversation"]], "add_generation_prompt": case["add_generation_prompt"],
                     "tools": None, "documents": None}
        variables.update({k: v for k, v in t["tokens"].items() if v is not None})
        try:
            got, error = compiled[case["template"]].render(**variables), None
        except jinja2.exceptions.TemplateError as e:
            got, error = None, str(e)
        if "error" in case:
            ok = error is not None and case["error"] in error
        else:
            ok = got == case["expected"]
        if not ok:
            failures += 1
            print(f"MISMATCH {case['template']} / {case['conversation']} / add_generation_prompt={case['add_generation_prompt']}")
            print("  @huggingface/jinja:", json.dumps(case.get("expected", case.get("error")), ensure_ascii=False)[:400])
            print("  jinja2:            ", json.dumps(got if error is None else "ERROR " + error, ensure_ascii=False)[:400])
    print(f"{len(fixture['cases']) - failures}/{len(fixture['cases'])} cases agree with jinja2 {jinja2.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
