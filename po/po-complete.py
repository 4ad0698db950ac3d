#!/usr/bin/env python3
# Fails when a translation is missing:
#  1. a source file with translatable strings is not listed in po/POTFILES.in
#     (or POTFILES.in names a file that does not exist);
#  2. xgettext over POTFILES.in finds a msgid that po/<lang>.po does not
#     translate, or translates only fuzzily, for every language in LINGUAS;
#  3. msgfmt --check rejects a .po file (format strings that do not match).
#
# Usage: po-complete.py SOURCE_ROOT [BUILD_PO_DIR]
# Deterministic: it reads only the tree and writes only to a temp dir.

import os
import re
import subprocess
import sys
import tempfile

# Same keywords as meson's i18n.gettext(preset: 'glib').
XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments', '--sort-output',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3',
    '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format',
    '--flag=NC_:2:pass-c-format', '--flag=g_dngettext:2:pass-c-format',
    '--flag=g_strdup_printf:1:c-format', '--flag=g_string_printf:2:c-format',
    '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format',
    '--flag=g_printf:1:c-format', '--flag=g_fprintf:2:c-format',
    '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
    '--flag=g_prefix_error:2:c-format',
]

C_MARK = re.compile(r'(^|[^A-Za-z0-9_])(N_|C_|NC_|_|ngettext|g_dngettext|g_dpgettext2)\s*\(')
UI_MARK = re.compile(r'translatable\s*=\s*["\']yes["\']')
GSCHEMA_MARK = re.compile(r'<(summary|description)\b')

SCAN_DIRS = ['src', 'ui', 'data', 'resources']


def strip_c_comments(text):
    # Comments may mention _( without being code; strings are kept.
    return re.sub(r'/\*.*?\*/|//[^\n]*', ' ', text, flags=re.S)


def needs_translation(rel, path):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
    except OSError:
        return False
    if rel.endswith(('.c', '.h')):
        return C_MARK.search(strip_c_comments(text)) is not None
    if rel.endswith('.ui'):
        return UI_MARK.search(text) is not None
    if rel.endswith('.gschema.xml'):
        return GSCHEMA_MARK.search(text) is not None
    if rel.startswith('data/') and rel.endswith('.in'):
        return True
    return False


def read_potfiles(root):
    listed = []
    with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                listed.append(line)
    return listed


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def po_entries(text):
    """Yields (msgctxt, msgid) of each entry of msgattrib output."""
    entries = []
    for block in text.split('\n\n'):
        msgid = None
        ctxt = None
        cur = None
        parts = {}
        for line in block.splitlines():
            if line.startswith('#'):
                continue
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?)\s+"(.*)"$', line)
            if m:
                cur = m.group(1)
                parts[cur] = m.group(3)
            elif line.startswith('"') and cur:
                parts[cur] += line[1:-1]
        msgid = parts.get('msgid')
        ctxt = parts.get('msgctxt')
        if msgid:  # skip the header (empty msgid)
            entries.append((ctxt, msgid))
    return entries


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), '..'))
    failures = []

    listed = read_potfiles(root)
    listed_set = set(listed)
    for rel in listed:
        if not os.path.isfile(os.path.join(root, rel)):
            failures.append('POTFILES.in lists %s, which does not exist' % rel)

    found = []
    for d in SCAN_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if needs_translation(rel, path):
                    found.append(rel)
    for rel in found:
        if rel not in listed_set:
            failures.append('%s has translatable strings but is missing from po/POTFILES.in' % rel)

    with tempfile.TemporaryDirectory(prefix='po-complete-') as tmp:
        pot = os.path.join(tmp, 'vanpos.pot')
        existing = [rel for rel in listed if os.path.isfile(os.path.join(root, rel))]
        r = run(['xgettext', *XGETTEXT_ARGS, '--package-name=vanpos',
                 '--directory=' + root, '--output=' + pot, *existing])
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            print('FAIL: xgettext failed', file=sys.stderr)
            return 1
        for line in r.stderr.splitlines():
            # e.g. a format string cut short by a macro xgettext cannot expand
            print('xgettext: ' + line, file=sys.stderr)
            if 'warning' in line and 'format' in line:
                failures.append('xgettext: ' + line)

        with open(os.path.join(root, 'po', 'LINGUAS'), encoding='utf-8') as f:
            langs = [w for line in f for w in line.split('#')[0].split()]
        total = 0
        for lang in langs:
            po = os.path.join(root, 'po', lang + '.po')
            if not os.path.isfile(po):
                failures.append('po/%s.po does not exist' % lang)
                continue
            r = run(['msgfmt', '--check', '--output-file=/dev/null', po])
            if r.returncode != 0:
                failures.append('msgfmt --check po/%s.po: %s' % (lang, r.stderr.strip()))
            merged = os.path.join(tmp, lang + '.po')
            r = run(['msgmerge', '--quiet', '--no-fuzzy-matching', '--no-wrap',
                     '--output-file=' + merged, po, pot])
            if r.returncode != 0:
                failures.append('msgmerge po/%s.po: %s' % (lang, r.stderr.strip()))
                continue
            for flag, what in (('--untranslated', 'untranslated'),
                               ('--only-fuzzy', 'fuzzy')):
                r = run(['msgattrib', flag, '--no-obsolete', '--no-wrap', merged])
                for ctxt, msgid in po_entries(r.stdout):
                    failures.append('po/%s.po: %s: "%s"%s' % (
                        lang, what, msgid, ' (context %s)' % ctxt if ctxt else ''))
            r = run(['msgfmt', '--statistics', '--output-file=/dev/null', merged])
            print('%s: %s' % (lang, r.stderr.strip()))
            with open(pot, encoding='utf-8') as f:
                total = max(total, f.read().count('\nmsgid "') - 1)

    print('%d source files with translatable strings, %d listed in POTFILES.in, '
          '%d messages' % (len(found), len(listed), total))
    if failures:
        for f in failures:
            print('FAIL: ' + f)
        print('%d problem(s)' % len(failures))
        return 1
    print('OK: every message is translated')
    return 0


if __name__ == '__main__':
    sys.exit(main())
