"""Names that the text rules of ``domain.text`` refuse, and names they keep."""

# Every kind of character a name refuses, with a name for the test's messages.
BAD_IN_NAMES = {
    "NUL": "Astrid\x00Lund",
    "right-to-left override": "Astrid \u202egnp.exe",
    "first strong isolate": "Astrid \u2068Lund\u2069",
    "CR LF": "Astrid\r\nLund",
    "line feed": "Astrid\nLund",
    "ANSI escape": "\x1b[31mAstrid Lund\x1b[0m",
    "DEL": "Astrid\x7fLund",
    "zero-width space": "Astrid\u200bLund",
    "byte order mark": "\ufeffAstrid Lund",
    "line separator": "Astrid\u2028Lund",
    "tag character": "Astrid\U000e0041Lund",
}
# ...and names that are fine: accents, right-to-left scripts, joiners of words and emoji
GOOD_NAMES = ["Maison Lumière", "نورا الحسن", "מיכל לוי", "فرزانه\u200cی", "Ana 👩\u200d💻"]
