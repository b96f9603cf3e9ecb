#!/usr/bin/env python3
"""Generate the tokenizer parity corpus (deterministic: fixed seed, no input).

Usage: gen-corpus.py OUT [N] [SEED]

Writes N records (default 6000) to OUT, separated by NUL bytes (a record never
contains NUL). A record is a byte string: multilingual prose, code, JSON, runs of
whitespace, emoji with zero-width joiners, special-token text, digits, combining
marks (to exercise NFC), long words, random code points and, for about one record
in twelve, invalid UTF-8 (stray continuation bytes, truncated sequences, overlong
forms, surrogates, bytes F5-FF).

The oracle (tests/data/tokenizer/oracle.js) sees a record as node decodes it
(Buffer.toString('utf8'): each maximal invalid subpart becomes U+FFFD); the C
tokenizer gets the raw bytes and must give the same ids.
"""
import json
import random
import sys

SEED = 20260127

PROSE = [
    "The quick brown fox jumps over the lazy dog.",
    "It's a truth universally acknowledged, isn't it? We'll see; they'd know, you're right, I'm sure.",
    "IT'S LOUD: WE'LL GO, THEY'D STAY, YOU'RE OUT, I'M IN, SHE'S DONE.",
    "Der Führer der Expedition aß Äpfel, Öl und Süßigkeiten auf der Straße.",
    "L'été dernier, nous sommes allés à Paris ; c'était génial — vraiment !",
    "¿Dónde está la biblioteca? ¡Está allí, señor! Año 2024, niño pequeño.",
    "Москва — столица России. Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "нещо на Български, Україна, Беларусь.",
    "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Αθήνα, Ελλάδα.",
    "العربية لغة جميلة، وهي لغة القرآن الكريم. مرحبا بالعالم!",
    "עברית היא שפה שמית. שלום עולם!",
    "हिन्दी भारत की राजभाषा है। नमस्ते दुनिया!",
    "我想在apple工作1314151天～今天天气很好，我们去公园散步吧。",
    "机器学习是人工智能的一个分支。中华人民共和国成立于1949年。",
    "日本語の文章です。東京は日本の首都で、カタカナとひらがなを使います。",
    "한국어는 한글로 씁니다. 안녕하세요, 세계!",
    "ภาษาไทยเป็นภาษาที่สวยงาม สวัสดีครับ",
    "កាន់តែពិសេសអាចខលចេញ",
    "Tiếng Việt có dấu: Hà Nội, Sài Gòn, phở bò.",
    "Türkçe: İstanbul, ığdır, şçöğü. Azərbaycan dili.",
    "Polski: zażółć gęślą jaźń. Čeština: příliš žluťoučký kůň.",
    "ied 4 ½ months, 3¼ cups, x² + y² = z², 10⁻³ m, ℃ and ℉.",
    "Ωmega ≈ 3.14159 ≠ π; ∀x ∈ ℝ: x² ≥ 0 ∧ √4 = 2 ⇒ ∑ ∫ ∂.",
    "Ths s a tst wth mssng vwls nd wrd brks:thequickbrownfox.",
    "e-mail: someone@example.com, URL: https://example.org/path?q=1&r=two#frag",
    "Prices: $5.99, €12,50, £7, ¥1000, ₹250, ₿0.001 — 50% off!!!",
    "ſtraße ſ 'ſ 'S 'K 'K (Kelvin sign) ﬁne ﬂow ﬀ",
]

CODE = [
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "int main(int argc, char **argv) {\n\tfor (int i = 0; i < argc; i++)\n\t\tprintf(\"%s\\n\", argv[i]);\n\treturn 0;\n}\n",
    "const xs = [1, 2, 3].map((x) => x * 2).filter(Boolean);\nconsole.log(`${xs.length} items`);\n",
    "fn main() {\n    let v: Vec<u32> = (0..10).collect();\n    println!(\"{:?}\", v);\n}\n",
    "#!/bin/sh\nset -eu\nfor f in *.txt; do\n  wc -l \"$f\" | awk '{print $1}'\ndone\n",
    "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
    "<html><body><div class=\"x\">Hello &amp; welcome</div></body></html>",
    "    \n        x = {'a': [1, 2], \"b\": None}  # comment\n\n\n",
    "if (a&&b||!c) { x += y << 2; } else { z = ~w ^ 0xFF; }",
    "#include <stdio.h>\r\n\r\nint x;\r\n",
    "    return self._cache.get(key, default)  ",
    "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-old line\n+new line\n",
]

SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>",
    "<|fim_prefix|>", "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>",
    "<|end_header_id|>", "<|reserved_special_token_5|>", "<s>", "</s>", "<unk>",
    "<|im_sta", "<|", "|>", "<|im_start|", "<<|im_end|>>",
]

EMOJI = [
    "🦙", "🚀", "😁", "✅", "😶\u200d🌫️", "👨\u200d👩\u200d👧\u200d👦", "👩🏽\u200d💻", "🏳️\u200d🌈",
    "🇺🇸", "🇯🇵", "1️⃣", "#️⃣", "❤️", "👍🏿", "🧑\u200d🤝\u200d🧑", "🐻\u200d❄️", "⚽", "🫠",
]

WS = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029",
      "\u0085", "\ufeff", "\u200b", "\u2003", "\u202f", "\x0b", "\x0c"]

COMBINING = ["e\u0301", "a\u0308", "A\u030a", "n\u0303", "\u1100\u1161\u11a8", "o\u0302\u0323",
             "\u0915\u093c", "i\u0307", "Å", "Ω", "ﬁ", "é"]

WORDS = " ".join(PROSE).split()


def rand_ws(r):
    return "".join(r.choice(WS) for _ in range(r.randint(1, 6)))


def rand_cp(r):
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE7F), (0x1780, 0x17FF), (0x1F00, 0x1FFF), (0x2000, 0x2BFF),
              (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xE0FF),
              (0xFE00, 0xFFFD), (0x10000, 0x1FAFF), (0x20000, 0x2A6DF), (0xE0000, 0xE007F)]
    a, b = r.choice(blocks)
    return chr(r.randint(a, b))


def json_value(r, depth=0):
    k = r.randint(0, 6 if depth < 3 else 3)
    if k == 0:
        return r.randint(-10**9, 10**9)
    if k == 1:
        return round(r.uniform(-1e4, 1e4), r.randint(0, 6))
    if k == 2:
        return r.choice([True, False, None])
    if k == 3:
        return " ".join(r.choice(WORDS) for _ in range(r.randint(0, 5)))
    if k in (4, 5):
        return {r.choice(WORDS).strip(".,!?"): json_value(r, depth + 1) for _ in range(r.randint(0, 4))}
    return [json_value(r, depth + 1) for _ in range(r.randint(0, 4))]


def make_text(r):
    kind = r.randint(0, 15)
    if kind <= 2:
        return r.choice(PROSE) if r.random() < 0.3 else " ".join(r.choice(WORDS) for _ in range(r.randint(1, 25)))
    if kind == 3:
        return r.choice(CODE)
    if kind == 4:
        v = json_value(r)
        ea = r.random() < 0.5
        return json.dumps(v, ensure_ascii=ea, indent=r.choice([None, None, 2, 4]))
    if kind == 5:
        parts = [r.choice(WORDS) if r.random() < 0.6 else rand_ws(r) for _ in range(r.randint(1, 12))]
        return "".join(parts)
    if kind == 6:
        return " ".join(r.choice(EMOJI) + r.choice(["", " ", "", r.choice(WORDS)]) for _ in range(r.randint(1, 8)))
    if kind == 7:
        s = ""
        for _ in range(r.randint(1, 6)):
            s += r.choice([r.choice(SPECIALS), r.choice(WORDS), rand_ws(r), "\n"])
        return s
    if kind == 8:
        return "".join(r.choice(["", " ", "x", "v"]) + str(r.randint(0, 10**r.randint(1, 15))) for _ in range(r.randint(1, 5))) \
            + r.choice(["", " ٣٤٥", " ３４５", " ½", " ⅔", " 1,234.56", " 0x1F"])
    if kind == 9:
        return " ".join(r.choice(COMBINING) + r.choice(["", "x", " ", r.choice(WORDS)]) for _ in range(r.randint(1, 6)))
    if kind == 10:
        alphabet = r.choice(["abcdefghij", "ab", "аб", "的是不了", "ก่า", "😀", "xyzXYZ", "a'b", "-_=+"])
        return "".join(r.choice(alphabet) for _ in range(r.randint(50, 400)))
    if kind == 11:
        return "".join(rand_cp(r) for _ in range(r.randint(1, 30)))
    if kind == 12:
        s = r.choice(PROSE)
        return s.upper() if r.random() < 0.5 else s.lower()
    if kind == 13:
        return rand_ws(r) + r.choice(WORDS) + rand_ws(r)
    if kind == 14:
        return "'" + r.choice(["s", "S", "t", "re", "RE", "ve", "m", "ll", "LL", "d", "D", "ſ", "x"]) + \
            r.choice(["", " ", "s", " and", "'"]) + r.choice(WORDS)
    return r.choice(PROSE) + rand_ws(r) + r.choice(CODE)


INVALID = [b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xed\xbf\xbf",
           b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5", b"\xff", b"\xfe\xfe", b"\xe2\x82",
           b"\xf0\x9f\x98", b"\xc3", b"\xe4\xb8", b"\xf0\x9f"]


def make_record(r):
    b = make_text(r).encode("utf-8")
    if r.random() < 1 / 12:
        for _ in range(r.randint(1, 3)):
            k = r.randint(0, 2)
            pos = r.randint(0, len(b))
            if k == 0:
                b = b[:pos] + r.choice(INVALID) + b[pos:]
            elif k == 1 and b:
                b = b[:pos] + b[pos + 1:]  # may cut a multi-byte character
            else:
                b = b[:pos] + bytes([r.randint(0x80, 0xFF)]) + b[pos:]
    return b.replace(b"\x00", b"")


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else SEED)
    recs = [make_record(r) for _ in range(n)]
    with open(out, "wb") as f:
        f.write(b"\x00".join(recs))


if __name__ == "__main__":
    main()
