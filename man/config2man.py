#!/usr/bin/python3
"""config2man.py - wismo.ini(5) in roff, from docs/config.md: the one description of the
configuration file, so that the man page cannot say something else.

    man/config2man.py docs/config.md VERSION > wismo.ini.5

What it understands of the Markdown there: "## " and "### " headings (sections and subsections),
paragraphs, ```ini blocks (shown as they are), tables (one tagged paragraph a row) and inline
`code`, **bold** and [text](link).  Anything else is printed as text.  The date is
SOURCE_DATE_EPOCH's when set (reproducible builds), else today's.
"""
import os
import re
import sys
import time


def escape(text):
    """Roff text: backslash as \\e, every '-' as \\- (typed as an ASCII hyphen)."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def line_start(text):
    """A line must not start with a control character (. or ')."""
    return "\\&" + text if text[:1] in (".", "'") else text


def inline(text):
    """Markdown inline markup to roff; the text is escaped first, so the fonts we add stay."""
    text = escape(text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    return text


def heading(text):
    return text.replace("`", "").strip()


def convert(md, version, out):
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    date = time.strftime("%Y-%m-%d", time.gmtime(int(epoch) if epoch else None))
    out.append('.TH WISMO.INI 5 %s "wismo %s" "File Formats"' % (date, version))
    out.append(".SH NAME")
    out.append("wismo.ini \\- configuration file of wismo(1)")
    out.append(".SH SYNOPSIS")
    out.append(".B wismo serve \\-\\-config /etc/wismo/wismo.ini")
    out.append(".SH DESCRIPTION")
    lines = md.splitlines()
    i = 0
    para = []
    started = False  # something was printed since the last heading: the next block needs .PP

    def flush():
        nonlocal para, started
        if para:
            if started:
                out.append(".PP")
            for p in para:
                out.append(line_start(inline(p)))
            para = []
            started = True

    while i < len(lines):
        line = lines[i]
        if line.startswith("# "):  # the title: NAME says it
            i += 1
            continue
        if line.startswith("```"):
            flush()
            if started:
                out.append(".PP")
            out.append(".EX")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_start(escape(lines[i].rstrip())) if lines[i].strip() else "")
                i += 1
            out.append(".EE")
            started = True
            i += 1
            continue
        if line.startswith("## ") or line.startswith("### "):
            flush()
            macro = ".SH" if line.startswith("## ") else ".SS"
            title = heading(line.split(" ", 1)[1])
            out.append('%s "%s"' % (macro, escape(title.upper() if macro == ".SH" else title)))
            started = False
            i += 1
            continue
        if line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            for cells in rows[1:]:  # the first row names the columns
                out.append(".TP")
                out.append(line_start(inline(cells[0])))
                out.append(line_start(inline("; ".join(cells[1:]))))
            started = True
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        para.append(line.strip())
        i += 1
    flush()
    out.append(".SH FILES")
    out.append(".TP")
    out.append(".I /etc/wismo/wismo.ini")
    out.append("the file the Debian package's wismo.service starts the server with.")
    out.append(".TP")
    out.append(".I ./wismo.ini")
    out.append("read when \\fB\\-\\-config\\fR is not given and the file exists.")
    out.append(".SH SEE ALSO")
    out.append(".BR wismo (1)")


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: config2man.py CONFIG.md VERSION\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        md = f.read()
    out = []
    convert(md, sys.argv[2], out)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
