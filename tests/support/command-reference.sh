#!/usr/bin/env bash
# Prints the README's command reference from `subctl --help` of every command, so the
# reference cannot drift from the binary. Usage: command-reference.sh [path/to/subctl]
set -euo pipefail
subctl=${1:-build/subctl}
subcommands_of() { "$subctl" "$@" --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}'; }
# The usage line, then the positionals and options (without --help), indented.
describe() {
    "$subctl" "$@" --help | awk -v cmd="subctl $*" '
        NR == 1 { summary = $0; next }
        /^Usage:/ { print cmd "    # " summary; next }
        /^(Positionals|Options):/ { on = 1; next }
        /^Subcommands:/ { on = 0 }
        on && NF && $1 !~ /^-h,--help$/ { print "    " $0 }'
}
echo '```'
echo "subctl [global options] COMMAND ...   (global options may also follow the command)"
"$subctl" --help | sed -n '/^Options:/,/^$/p' | grep -v -- '-h,--help' | sed '1d;/^$/d'
for command in $(subcommands_of); do
    subcommands=$(subcommands_of "$command")
    if [ -z "$subcommands" ]; then describe "$command"; else for sub in $subcommands; do describe "$command" "$sub"; done; fi
done
echo '```'
