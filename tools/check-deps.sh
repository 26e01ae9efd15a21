#!/bin/sh
# Check that every command and Python module the tests (or the demo) use
# comes from a Debian package that tools/deps.sh installs for them, so that
# a clean machine passes what this one passes.
#   usage: check-deps.sh GROUPS FILE...
#   e.g.   check-deps.sh "build test" test/*.bats test/*.bash man/*.[157]
# (of a man page, what its EXAMPLES and displays run: the "$ " command lines
# of its transcripts with their continuation lines, the bodies of their
# here-documents that are scripts, and the scripts it shows whole)
# Commands FILE runs that are programs in /usr/bin, /bin, /usr/sbin or /sbin
# and Python modules it imports are looked up with dpkg -S; the package must
# be one of GROUPS' packages, a package those depend on, or of priority
# required or important (on every Debian system).  Prints the offenders and
# exits 1; exits 0 quietly when all are declared (or without dpkg).
set -u
groups=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
command -v dpkg-query > /dev/null 2>&1 || { echo "check-deps: no dpkg, not checked" >&2; exit 0; }
SYSPATH=/usr/sbin:/usr/bin:/sbin:/bin

# the packages deps.sh names for GROUPS
declared=$(for g in $groups; do
	sed -n "s/^[[:space:]]*$g) pkgs=\"\$pkgs \(.*\)\" ;;.*/\1/p" "$top/tools/deps.sh"
done | tr ' ' '\n' | sort -u)
[ -n "$declared" ] || { echo "check-deps: no packages for groups '$groups' in tools/deps.sh" >&2; exit 2; }

# ... and, computed when first needed, what they depend on (installed ones:
# that is what apt pulls in)
closure=
depends_closure() {
	[ -n "$closure" ] && return
	closure=$(apt-cache depends --recurse --installed --no-recommends \
	    --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
	    $declared 2>/dev/null | sed -n 's/^ *\(Pre\)\{0,1\}Depends: <\{0,1\}\([^>:]*\).*/\2/p; /^[a-z0-9]/p' |
	    sed 's/:.*//' | sort -u)
}

pkg_of() {	# path -> package, or nothing
	dpkg -S "$(readlink -f "$1")" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1
}

ok_pkg() {
	echo "$declared" | grep -qx -- "$1" && return 0
	case $(dpkg-query -W -f='${Priority}' "$1" 2>/dev/null) in
	required|important) return 0 ;;
	esac
	depends_closure
	echo "$closure" | grep -qx -- "$1"
}

# The code of man page $2 in language $1 (sh or py), without the roff
# escapes: the "$ " commands of its transcripts (sh; with the lines that
# continue them after |, \ or && and their here-documents), the bodies of
# here-documents that are scripts (a #! line, or fed to sh or bash or
# python, or written to a .sh or .py file), and the displays that are
# scripts (they start with a #! line: tests extract and run them).
man_code() {
	awk -v want="$1" '
	function unroff(s) {
		gsub(/\\e/, "\001", s); gsub(/\\&/, "", s); gsub(/\\-/, "-", s)
		gsub(/\\\(dq/, "\"", s); gsub(/\\\(aq/, "\047", s)
		gsub(/\001/, "\\", s)
		return s
	}
	# what a here-document fed by command c with first line l holds
	function kind(c, l) {
		if (l ~ /^#!/)
			return l ~ /python/ ? "py" : "sh"
		if (c ~ /(^|[^A-Za-z0-9_.\/-])(ba|da)?sh([ \t]|$)/ ||
		    c ~ /(>|tee)[ \t]*[^ \t]*\.sh([ \t]|$)/)
			return "sh"
		if (c ~ /(^|[^A-Za-z0-9_.\/-])python[0-9.]*([ \t]|$)/ ||
		    c ~ /(>|tee)[ \t]*[^ \t]*\.py([ \t]|$)/)
			return "py"
		return ""
	}
	function emit(k, l) { if (k == want) print l }
	/^\.Bd / { n = 0; inbd = 1; next }
	/^\.Ed/ && inbd {
		inbd = 0
		for (i = 1; i <= n; ) {
			if (i == 1 && b[1] ~ /^#!/) {
				k = kind("", b[1])
				for (; i <= n; i++)
					emit(k, b[i])
				break
			}
			if (b[i] !~ /^\$ /) { i++; continue }
			c = substr(b[i], 3)
			emit("sh", c)
			i++
			if (match(c, /<<-?[ \t]*["\047]?[A-Za-z_][A-Za-z0-9_]*/)) {
				d = substr(c, RSTART, RLENGTH)
				sub(/^<<-?[ \t]*["\047]?/, "", d)
				k = kind(c, b[i])
				for (; i <= n && b[i] != d; i++)
					emit(k, b[i])
				i++
			}
			while (i <= n && c ~ /(\||\\|&&)[ \t]*$/) {
				c = b[i++]
				emit("sh", c)
			}
		}
		next
	}
	inbd { b[++n] = unroff($0) }
	' "$2"
}

# The words in command position: the first word of each simple command
# (after |, ;, &&, ||, $(, `, (, {, !, then, do, else, a quote), skipping
# assignments and the wrappers run (bats), exec, command, env, time,
# timeout N, xargs, nice, sudo.
commands() {
	for f in "$@"; do
		case $f in
		*.[1-9]) man_code sh "$f" ;;
		*) cat "$f" ;;
		esac
	done | sed '/^[[:space:]]*@test /d; s/#[^!{].*//; s/^#$//' |
	    sed 's/&&/\n/g; s/||/\n/g; s/\$(/\n/g; s/-c "/\n/g; s/-c '"'"'/\n/g' |
	    tr '|;`' '\n\n\n' | sed 's/^[[:space:](){!]*//' |
	    awk '{
		i = 1
		while (i <= NF) {
			w = $i
			if (w == "then" || w == "do" || w == "else" ||
			    w == "if" || w == "while" || w == "until" || w ~ /^[A-Za-z_][A-Za-z0-9_]*=/ ||
			    w == "run" || w ~ /^-[0-9]+$/ || w ~ /^--separate-stderr$/ ||
			    w == "exec" || w == "command" || w == "env" || w == "time" ||
			    w == "xargs" || w == "nice" || w == "sudo" || w == "!") { i++; continue }
			if (w == "timeout") { i += 2; continue }
			print w
			break
		}
	    }' | grep -E '^[A-Za-z_][A-Za-z0-9_.+-]*$' | sort -u
}

bad=
# commands: every word that names a program of a Debian package
for w in $(commands "$@"); do
	case $w in lq-*) continue ;; esac
	p=$(PATH=$SYSPATH command -v "$w" 2>/dev/null) || continue
	case $p in /*) ;; *) continue ;; esac	# builtins, keywords
	pkg=$(pkg_of "$p")
	[ -n "$pkg" ] || continue
	ok_pkg "$pkg" || bad="$bad
  command $w ($p) is in package $pkg"
done
# Python modules imported by the files' python snippets
for m in $(for f in "$@"; do case $f in *.[1-9]) man_code py "$f" ;; *) cat "$f" ;; esac; done |
    grep -oE '^[[:space:]]*(import[[:space:]]+[A-Za-z_][A-Za-z0-9_]*|from[[:space:]]+[A-Za-z_][A-Za-z0-9_]*[.A-Za-z0-9_]*[[:space:]]+import)' |
    awk '{ sub(/\..*/, "", $2); print $2 }' | sort -u); do
	f=$(/usr/bin/python3 -c "import importlib.util, sys
s = importlib.util.find_spec(sys.argv[1])
print(s.origin if s and s.origin not in (None, 'built-in', 'frozen') else '')" "$m" 2>/dev/null) || f=
	if [ -z "$f" ]; then
		# not importable by Debian's python3: a missing package, unless builtin
		/usr/bin/python3 -c "import $m" 2>/dev/null ||
			bad="$bad
  python module $m is not installed for /usr/bin/python3"
		continue
	fi
	pkg=$(pkg_of "$f")
	[ -n "$pkg" ] || continue
	ok_pkg "$pkg" || bad="$bad
  python module $m ($f) is in package $pkg"
done
if [ -n "$bad" ]; then
	echo "check-deps: used by $* but not installed by tools/deps.sh $groups:$bad" >&2
	exit 1
fi
exit 0
