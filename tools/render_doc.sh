#!/usr/bin/env bash
# Renders an experiment write-up: copies TEMPLATE to standard output, and replaces each
# line "<!-- run: COMMAND -->" by the command (in a shell block) and what it printed, so
# every number in the document comes from a command it shows. Commands run in the
# repository root with bash, `nnreg` being the release build; a failing command stops the
# rendering (exit status 1) and the caller keeps the old document.
#
#     bash tools/render_doc.sh docs/templates/ablation.md > docs/ablation.md.tmp
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
template=$1
cd "$root"
export PATH="$root/.build/release:$PATH"
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^\<\!--\ run:\ (.*)\ --\>$ ]]; then
    command=${BASH_REMATCH[1]}
    echo "$command" | sed 's/^/$ /' | { echo '```'; cat; echo '```'; }
    echo
    if ! output=$(bash -o pipefail -c "$command" 2>&1); then
      echo "render_doc: failed: $command" >&2
      echo "$output" >&2
      exit 1
    fi
    echo "$output"
  else
    printf '%s\n' "$line"
  fi
done < "$template"
