#!/usr/bin/env python3
"""run-examples.py [--status] [--save] PAGE DIR [SUBSECTION] - run the
transcripts of a man page's EXAMPLES (only those under .Ss SUBSECTION when
it is given).

A transcript is a .Bd -literal display in EXAMPLES; a line starting with
"$ " is a command (continued by here-documents and by lines ending in |,
\\ or &&), the lines up to the next command are its expected output
(stdout and stderr).  A command without output lines must succeed and
print nothing.  Displays without "$ " lines are illustrations and are not
run.  The commands run in order in DIR, which the caller fills with what
they need (test/docs.bats: examples/, rules/, data/; test/lq-train.bats also
the lq-train fixtures as train/).  Exit 0 when every
command did what the page says, 1 otherwise (each difference printed).

--status: every command must succeed (bash -o pipefail), also those with
output lines (by default their exit status is not looked at: a page may
show an error).
--save: the output of the N-th command (1, 2, ...; stdout and stderr, as
compared) is also written to DIR/outN for the caller to check further;
a command without output lines may then print (it must still succeed).
"""
import re, subprocess, sys

args = sys.argv[1:]
status = "--status" in args
save = "--save" in args
args = [a for a in args if a not in ("--status", "--save")]
if len(args) not in (2, 3) or any(a.startswith("--") for a in args):
    sys.exit(__doc__.split("\n\n")[0])
page, cwd = args[0], args[1]
only = args[2] if len(args) > 2 else ""
src = open(page, encoding="utf-8").read().split("\n")

def unroff(s):
    s = s.replace("\\e", "\x00").replace("\\&", "").replace("\\-", "-")
    s = s.replace("\\(dq", '"').replace("\\(aq", "'")
    return s.replace("\x00", "\\")

blocks, cur, sect, sub = [], None, None, None
for n, line in enumerate(src, 1):
    if line.startswith(".Sh "):
        sect = line[4:].strip()
        sub = None
    elif line.startswith(".Ss "):
        sub = line[4:].strip()
    elif (sect == "EXAMPLES" and (not only or sub == only) and
          line.startswith(".Bd -literal")):
        cur = []
    elif cur is not None and line.startswith(".Ed"):
        blocks.append(cur)
        cur = None
    elif cur is not None:
        cur.append((n, unroff(line)))

cases = []
for b in blocks:
    i = 0
    while i < len(b):
        n, line = b[i]
        if not line.startswith("$ "):
            i += 1
            continue
        cmd = [line[2:]]
        i += 1
        m = re.search(r"<<-?\s*'?(\w+)'?", cmd[0])
        if m:
            while i < len(b) and b[i][1] != m.group(1):
                cmd.append(b[i][1])
                i += 1
            if i < len(b):
                cmd.append(b[i][1])
                i += 1
        while i < len(b) and re.search(r"(\||\\|&&)\s*$", cmd[-1]):
            cmd.append(b[i][1])
            i += 1
        out = []
        while i < len(b) and not b[i][1].startswith("$ "):
            out.append(b[i][1])
            i += 1
        cases.append((n, "\n".join(cmd), out))

if not cases:
    sys.exit("%s: no runnable examples found" % page)
bad = 0
for i, (n, cmd, want) in enumerate(cases, 1):
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd] if not want or status else ["bash", "-c", cmd],
                       cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if save:
        with open("%s/out%d" % (cwd, i), "wb") as f:
            f.write(p.stdout)
    got = p.stdout.decode("utf-8", "replace").rstrip("\n").split("\n")
    if got == [""]:
        got = []
    if want and got != want:
        bad += 1
        print("%s:%d: %s\n--- the page says:\n%s\n--- got:\n%s" %
              (page, n, cmd, "\n".join(want), "\n".join(got)))
    elif p.returncode != 0 and (status or not want) or (not want and got and not save):
        bad += 1
        print("%s:%d: %s\n--- exit %d, output:\n%s" % (page, n, cmd, p.returncode, "\n".join(got)))
print("%d examples, %d failed" % (len(cases), bad))
sys.exit(1 if bad else 0)
