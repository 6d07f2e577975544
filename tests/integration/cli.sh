#!/bin/sh
# SPDX-License-Identifier: ISC
# cli.sh - tether(1)'s command line: every command's --help (-h, help
# COMMAND: the same text, exit 0) agreeing with man/tether.1; getopt_long
# everywhere (--opt=value and --opt value, prefixes, bundled -qv, -- ends
# options, unknown options exit 2); `tether run -` and `tether check -`
# reading standard input; `tether run PLAYBOOK ARG...` giving $argv, with
# options still read after PLAYBOOK; an executable playbook with
# #!/usr/bin/env -S tether run; hmp and qmp options anywhere and unknown
# ones refused; attach's pass-through --OPTION VALUE; the README's first
# playbook doing what the tutorial says.

: "${TETHER:?set TETHER to the tether binary}"
: "${TETHER_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
test -x "$TETHER" || { echo "skip: no tether binary at $TETHER"; exit 77; }
case $TETHER in
/*) ;;
*) TETHER=$(pwd)/$TETHER ;;
esac
man=$TETHER_SRCDIR/man/tether.1
work=$(mktemp -d "${TMPDIR:-/tmp}/tether-cli.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
nfail=0
sect_fail=0

# ok WHAT: says WHAT passed when this section had no failure.
ok() {
	test "$nfail" -eq "$sect_fail" && echo "ok: $*"
	sect_fail=$nfail
}

fail() {
	echo "FAIL: $*"
	nfail=$((nfail + 1))
}

# run WANT-STATUS CMD...: runs CMD with stdin from $work/in (if any),
# stdout in $work/out, stderr in $work/err; checks the exit status.
run() {
	want=$1
	shift
	if test -f "$work/in"; then
		"$@" <"$work/in" >"$work/out" 2>"$work/err"
	else
		"$@" </dev/null >"$work/out" 2>"$work/err"
	fi
	got=$?
	rm -f "$work/in"
	if test "$got" -ne "$want"; then
		fail "$*: exit $got, want $want; stderr: $(head -c 600 "$work/err")"
		return 1
	fi
	return 0
}

# has FILE TEXT WHAT: FILE holds the fixed string TEXT.
has() {
	grep -qF -- "$2" "$1" || fail "$3: no \"$2\" in: $(head -c 600 "$1")"
}

# out_is TEXT WHAT: stdout is exactly TEXT (one line).
out_is() {
	test "$(cat "$work/out")" = "$1" ||
	    fail "$2: stdout [$(cat "$work/out")], want [$1]"
}

### --help for every command, the same as -h and `help COMMAND`.
cmds=$("$TETHER" --help | sed -n 's/^  tether \([a-z]*\) .*/\1/p')
test "$(echo $cmds)" = "run check hmp qmp attach record repl discover" ||
    fail "tether --help lists [$(echo $cmds)]"
for c in $cmds; do
	run 0 "$TETHER" "$c" --help || continue
	test -s "$work/err" && fail "$c --help wrote to stderr"
	head -1 "$work/out" | grep -q "^usage: tether $c " ||
	    fail "$c --help: first line $(head -1 "$work/out")"
	grep -q '^options:$' "$work/out" || fail "$c --help lists no options"
	cp "$work/out" "$work/help-$c"
	run 0 "$TETHER" "$c" -h && cmp -s "$work/out" "$work/help-$c" ||
	    fail "$c -h differs from $c --help"
	run 0 "$TETHER" help "$c" && cmp -s "$work/out" "$work/help-$c" ||
	    fail "help $c differs from $c --help"
done
run 2 "$TETHER" help nosuch
run 2 "$TETHER" nosuch
run 2 "$TETHER" --nosuch
run 0 "$TETHER" --version && grep -q '^tether [0-9]' "$work/out" ||
    fail "--version: $(cat "$work/out")"
ok "--help, -h and help COMMAND for: $(echo $cmds)"

### The help agrees with tether.1: every option a command's --help lists
### is in its SYNOPSIS line or its paragraph, and every option of its
### SYNOPSIS line is in its --help.
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man" >"$work/man"
for c in $cmds; do
	# SYNOPSIS: from ".B tether CMD" to ".br"
	sed -n "/^\\.SH SYNOPSIS/,/^\\.SH/{/^\\.B tether $c\$/,/^\\.br/p}" \
	    "$work/man" >"$work/syn-$c"
	test -s "$work/syn-$c" || { fail "tether.1: no SYNOPSIS for $c"; continue; }
	# COMMANDS ".TP / .B CMD" paragraph and the ".SS tether CMD" section
	awk -v c="$c" '
	    /^\.SH/ { sec = $2; cur = "" }
	    /^\.SS/ { cur = ($3 == c) ? c : "" }
	    sec == "COMMANDS" && prev == ".TP" { cur = ($2 == c) ? c : "" }
	    cur == c { print }
	    { prev = $0 }' "$work/man" >"$work/par-$c"
	cat "$work/syn-$c" "$work/par-$c" >"$work/doc-$c"
	for o in $(grep -oE '^  (-[a-z], )?--[a-z][a-z-]*' "$work/help-$c" |
	    tr ',' ' '); do
		case $o in -h|--help|--OPTION) continue ;; esac
		grep -qE -- "(^|[^a-zA-Z-])$o([^a-zA-Z-]|\$)" "$work/doc-$c" ||
		    fail "tether.1 does not document $c $o"
	done
	for o in $(grep -oE -- '(^|[ [|])--?[a-z][a-z-]*' "$work/syn-$c" |
	    sed 's/^[ [|]//'); do
		grep -qE -- "^  (-[a-z], )?$o( |,|\$)|^  -[a-z], $o( |\$)" \
		    "$work/help-$c" ||
		    fail "$c --help does not list $o of tether.1's SYNOPSIS"
	done
done
grep -q 'COMMAND " --help"' "$work/man" || fail "tether.1: no COMMAND --help"
ok "every command's --help agrees with tether.1"

### getopt_long: --opt=value, --opt value, prefixes, bundles, --.
cat >"$work/vars.tether" <<'EOF'
print "who=$who argv=$argv n=${#argv}"
EOF
cd "$work" || exit 1
run 0 "$TETHER" run vars.tether --var who=a && out_is "who=a argv=[] n=0" \
    "--var VALUE"
run 0 "$TETHER" run --var=who=b vars.tether && out_is "who=b argv=[] n=0" \
    "--var=VALUE"
run 0 "$TETHER" run vars.tether --var who=c --qu &&
    out_is "who=c argv=[] n=0" "a prefix (--qu)"
printf 'who=d\n' >"$work/v.env"
run 0 "$TETHER" run --var-file="$work/v.env" vars.tether &&
    out_is "who=d argv=[] n=0" "--var-file=FILE"
run 0 "$TETHER" run vars.tether --log-dir="$work/logs" --var who=e \
    --junit="$work/j.xml" -q && test -d "$work/logs" && test -s "$work/j.xml" ||
    fail "--log-dir=DIR and --junit=FILE"
run 2 "$TETHER" run -qv vars.tether && has "$work/err" "-q and -v together" \
    "bundled -qv"
run 2 "$TETHER" run vars.tether -vq && has "$work/err" "-q and -v together" \
    "bundled -vq after PLAYBOOK"
run 0 "$TETHER" run -vh && cmp -s "$work/out" "$work/help-run" ||
    fail "-vh: the help"
run 2 "$TETHER" run --nosuch vars.tether &&
    has "$work/err" "unknown option --nosuch" "run --nosuch"
run 2 "$TETHER" run vars.tether -x && has "$work/err" "unknown option -x" \
    "run -x"
run 2 "$TETHER" run vars.tether --var && has "$work/err" \
    "option --var needs a value" "run --var at the end"
run 2 "$TETHER" run --tap=yes vars.tether && has "$work/err" \
    "takes no value" "run --tap=yes"
run 2 "$TETHER" run --j vars.tether && has "$work/err" "unknown option --j" \
    "run --j (ambiguous)"
run 2 "$TETHER" run && has "$work/err" "usage: tether run" "run alone"
ok "getopt_long for run"

### $argv: the words after PLAYBOOK; options among them still options.
run 0 "$TETHER" run vars.tether one --var who=f "two words" &&
    out_is 'who=f argv=["one","two words"] n=2' "ARGs and --var among them"
run 0 "$TETHER" run vars.tether --var who=g -- --var x -q &&
    out_is 'who=g argv=["--var","x","-q"] n=3' "-- ends options"
run 0 "$TETHER" run --var who=h -- vars.tether -v --var &&
    out_is 'who=h argv=["-v","--var"] n=2' "-- before PLAYBOOK"
run 0 "$TETHER" run vars.tether a --var argv=x --var who=i &&
    out_is 'who=i argv=["a"] n=1' "--var argv does not replace \$argv"
cat >"$work/types.tether" <<'EOF'
for a in $argv { print "<$a>" }
check ${#argv} == 3 "want 3 arguments"
check $argv[2] == "" "an empty argument stays"
EOF
run 0 "$TETHER" run types.tether 'x y' '$z' '' &&
    test "$(cat "$work/out")" = '<x y>
<$z>
<>' || fail "\$argv elements are strings as given: $(cat "$work/out")"
ok "\$argv"

### run - and check -: the playbook on standard input.
printf 'print "from stdin ${#argv} $argv"\n' >"$work/in"
run 0 "$TETHER" run - a b && out_is 'from stdin 2 ["a","b"]' "run -"
printf 'print "x\n' >"$work/in"
run 2 "$TETHER" run - && has "$work/err" "<stdin>:1:7: unterminated string" \
    "run - syntax error"
printf 'print "x\n' >"$work/in"
run 2 "$TETHER" run - --junit "$work/stdin.xml" &&
    has "$work/stdin.xml" "&lt;stdin&gt;" "run - --junit names <stdin>"
printf 'print "inc ok"\n' >"$work/inc.tether"
printf 'include "inc.tether"\n' >"$work/in"
run 0 "$TETHER" run - && out_is "inc ok" "run -: include from the cwd"
printf 'print 1\n' >"$work/in"
run 0 "$TETHER" check - || fail "check -"
printf 'if {\n' >"$work/in"
run 2 "$TETHER" check - && has "$work/err" "<stdin>:" "check - error"
printf 'set unused = 1\n' >"$work/in"
run 2 "$TETHER" check - --strict && has "$work/err" "warning" \
    "check - --strict"
run 2 "$TETHER" check vars.tether types.tether &&
    has "$work/err" "one playbook at a time" "check two playbooks"
run 2 "$TETHER" check --strict=1 vars.tether
ok "run - and check -"

### A playbook run as a command: #!/usr/bin/env -S tether run.
if env -S true 2>/dev/null; then
	cat >"$work/greet" <<'EOF'
#!/usr/bin/env -S tether run
check ${#argv} > 0 "usage: greet NAME..."
for name in $argv { print "hello $name" }
EOF
	printf '#!/usr/bin/env -S tether run --\nprint "$argv"\n' \
	    >"$work/raw"
	chmod +x "$work/greet" "$work/raw"
	bindir=$(dirname "$TETHER")
	test "$(basename "$TETHER")" = tether || {
		mkdir -p "$work/bin" && ln -s "$TETHER" "$work/bin/tether"
		bindir=$work/bin
	}
	run 0 env PATH="$bindir:$PATH" ./greet world "big moon" &&
	    test "$(cat "$work/out")" = "hello world
hello big moon" || fail "./greet ARGS: $(cat "$work/out")"
	run 1 env PATH="$bindir:$PATH" ./greet &&
	    has "$work/err" "usage: greet NAME..." "./greet without ARGs"
	run 0 env PATH="$bindir:$PATH" ./greet -q -- -x &&
	    out_is "hello -x" "./greet -q -- -x"
	run 0 env PATH="$bindir:$PATH" "$work/raw" -v --var x=1 &&
	    out_is '["-v","--var","x=1"]' "#! tether run -- passes every ARG"
	ok "#!/usr/bin/env -S tether run"
else
	echo "skip: env without -S: no #! test"
fi

### hmp and qmp: options anywhere, --opt=value, unknown options exit 2.
nosock=$work/no.sock
for c in hmp qmp; do
	run 6 "$TETHER" $c --timeout=1s "unix:$nosock" info ||
	    fail "$c --timeout=1s URI"
	run 6 "$TETHER" $c "unix:$nosock" --connect-within 0s info \
	    --timeout 1s || fail "$c options among the words"
	run 2 "$TETHER" $c "unix:$nosock" info --bogus &&
	    has "$work/err" "unknown option --bogus" "$c --bogus after words"
	run 2 "$TETHER" $c "unix:$nosock" info -d &&
	    has "$work/err" "goes after --" "$c -d: the hint"
	run 2 "$TETHER" $c "unix:$nosock" info --timeout &&
	    has "$work/err" "needs a value" "$c --timeout at the end"
	run 2 "$TETHER" $c --timeout=soon "unix:$nosock" info &&
	    has "$work/err" "soon" "$c bad duration"
	run 2 "$TETHER" $c "unix:$nosock" && has "$work/err" "usage: tether $c" \
	    "$c without a command"
done
run 6 "$TETHER" hmp "unix:$nosock" -- migrate -d tcp:h:1 ||
    fail "hmp URI -- words that start with -"
run 6 "$TETHER" hmp --json "unix:$nosock" info pci || fail "hmp --json first"
ok "hmp and qmp options"

### attach: its options, --OPTION VALUE and NAME=URI; no terminal here.
run 2 "$TETHER" attach --escape=^A --connect-within=1s --line-ending cr \
    --log="$work/a.log" sh=spawn:/bin/sh spawn:/bin/true &&
    has "$work/err" "must be a terminal" "attach options parsed"
run 2 "$TETHER" attach spawn:/bin/sh -- --not-an-option &&
    has "$work/err" "must be a terminal" "attach -- URI"
run 2 "$TETHER" attach --escape=nonsense spawn:/bin/sh &&
    has "$work/err" "--escape nonsense" "attach --escape=bad"
run 2 "$TETHER" attach -x spawn:/bin/sh &&
    has "$work/err" "unknown option -x" "attach -x"
run 2 "$TETHER" attach spawn:/bin/sh --escape &&
    has "$work/err" "--escape needs a value" "attach --escape at the end"
run 2 "$TETHER" attach --log-dir "$work/ad" &&
    has "$work/err" "usage: tether attach" "attach without a URI"
ok "attach options"

### repl, discover.
printf 'print "$x $y"\n' >"$work/in"
run 0 "$TETHER" repl --var=x=1 --var y=2 -q && out_is "1 2" "repl --var"
run 2 "$TETHER" repl --var novalue && has "$work/err" "want NAME=VALUE" \
    "repl --var without ="
run 2 "$TETHER" repl extra && has "$work/err" "unexpected argument" \
    "repl ARG"
run 2 "$TETHER" repl -x
run 2 "$TETHER" discover --json=1 1 && has "$work/err" "takes no value" \
    "discover --json=1"
run 2 "$TETHER" discover && has "$work/err" "usage: tether discover" \
    "discover alone"
run 2 "$TETHER" discover 12x && has "$work/err" "bad pid" "discover 12x"
run 1 "$TETHER" discover --json $$ && has "$work/err" "not a QEMU" \
    "discover --json PID"
ok "repl and discover options"

### The README's first playbook does what the tutorial says.
sed -n '/^### A first playbook/,/^`tether check/p' "$TETHER_SRCDIR/README.md" |
    sed -n '/^```$/,/^```$/p' | sed '1d;$d' >"$work/hello.tether"
test -s "$work/hello.tether" || fail "README.md: no first playbook"
run 0 "$TETHER" check "$work/hello.tether"
run 0 "$TETHER" run "$work/hello.tether" one two &&
    test "$(cat "$work/out")" = "argument: one
argument: two" || fail "README's hello.tether: $(cat "$work/out")"
has "$work/err" "ok   kernel" "README's hello.tether: step kernel"
ok "the README's first playbook"

test "$nfail" -eq 0 || { echo "$nfail failed"; exit 1; }
echo "PASS: cli"
