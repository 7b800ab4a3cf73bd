"""Fill empty msgstr entries of a .po file from a {msgid: msgstr} dict module (translation helper)."""

import importlib.util
import re
import sys


def main(po_path: str, table_path: str) -> None:
    spec = importlib.util.spec_from_file_location("table", table_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    table = mod.TR
    text = open(po_path, encoding="utf-8").read()
    blocks = text.split("\n\n")
    missing = []
    for i, block in enumerate(blocks):
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ""$', block, re.M)
        if not m or "msgid_plural" in block:
            continue
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        if not msgid:
            continue
        if msgid in table:
            tr = table[msgid].replace('"', '\\"')
            blocks[i] = block[: m.start()] + f'msgid {m.group(1)}msgstr "{tr}"' + block[m.end():]
            blocks[i] = blocks[i].replace("#, fuzzy\n", "")
        else:
            missing.append(msgid)
    open(po_path, "w", encoding="utf-8").write("\n\n".join(blocks))
    for msgid in missing:
        print("untranslated:", msgid)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
