/** Shell completion scripts (bash, zsh), generated from the command tree so they never fall behind it. */
import type { Command } from "commander";

interface Node {
  path: string;
  subcommands: string[];
  options: string[];
}

function walk(cmd: Command, prefix: string, out: Node[], globals: string[]): void {
  const options = [
    ...cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
    ...globals,
    "--help",
  ];
  out.push({ path: prefix, subcommands: cmd.commands.map((c) => c.name()), options: [...new Set(options)] });
  for (const c of cmd.commands) walk(c, prefix === "" ? c.name() : `${prefix} ${c.name()}`, out, globals);
}

function nodes(program: Command): Node[] {
  const globals = program.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  const out: Node[] = [];
  walk(program, "", out, globals);
  return out;
}

export function bashCompletion(program: Command): string {
  const cases = nodes(program)
    .map((n) => `    "${n.path}") words_for="${[...n.subcommands, ...n.options].join(" ")}" ;;`)
    .join("\n");
  return `# crossproof bash completion: eval "$(crossproof completion bash)" (or save it in /etc/bash_completion.d/)
_crossproof() {
  local cur path="" w i words_for=""
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_crossproof_sub "$path") " in
      *" $w "*) path="\${path:+$path }$w" ;;
    esac
  done
  words_for="$(_crossproof_sub "$path")"
  if [[ "$cur" == -* ]]; then words_for="$(_crossproof_words "$path" | tr ' ' '\\n' | grep -- '^-' | tr '\\n' ' ')"; else words_for="$(_crossproof_words "$path")"; fi
  COMPREPLY=($(compgen -W "$words_for" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
}
_crossproof_words() {
  local words_for=""
  case "$1" in
${cases}
  esac
  echo "$words_for"
}
_crossproof_sub() {
  _crossproof_words "$1" | tr ' ' '\\n' | grep -v -- '^-' | tr '\\n' ' '
}
complete -o default -F _crossproof crossproof
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef crossproof
# crossproof zsh completion: eval "$(crossproof completion zsh)" (or save it as _crossproof in your $fpath)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
