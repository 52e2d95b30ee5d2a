"""Pure-Python domain rules: ID numbers, pinyin, codes, policy profiles, demo data. No Qt."""
