//! The command table (`onewindow_commands::desk_commands!`) as the desk reads it: each
//! command's access rule (for [`crate::session::access::rule`]) and the TypeScript wrapper the UI calls
//! it through (`ui/src/ipc/bindings/commands.ts`, written by `make bindings`; a test fails when
//! it is stale).

use ts_rs::{Config, TS};

#[allow(unused_imports)] // the table names its types; the glob is where they resolve
use crate::dto::*;
use crate::session::access::Rule;

/// A Rust type as TypeScript sees it.
pub struct TsType {
    name: fn(&Config) -> String,
}

const fn ts<T: TS + 'static>() -> TsType {
    TsType { name: T::name }
}

/// The generated types a TypeScript type names (`CaseView | null` → `CaseView`): every
/// capitalised word but the language's own generics.
fn named_types(ts_type: &str) -> impl Iterator<Item = String> + '_ {
    ts_type
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter(|w| !["Array", "Record", "Partial"].contains(w))
        .map(str::to_string)
}

/// One command of the table.
pub struct Command {
    pub name: &'static str,
    pub rule: Rule,
    /// The windows whose capability allows it.
    pub windows: &'static [&'static str],
    doc: &'static [&'static str],
    args: &'static [(&'static str, TsType)],
    result: TsType,
}

macro_rules! command_specs {
    ($($(#[doc = $doc:literal])* $name:ident : $rule:ident [$($window:ident),*] ($($arg:ident : $ty:ty),*) -> $result:ty;)*) => {
        /// Every command the windows call, in table order.
        pub static COMMANDS: &[Command] = &[$(Command {
            name: stringify!($name),
            rule: Rule::$rule,
            windows: &[$(stringify!($window)),*],
            doc: &[$($doc),*],
            args: &[$((stringify!($arg), ts::<$ty>())),*],
            result: ts::<$result>(),
        }),*];
    };
}

onewindow_commands::desk_commands!(command_specs);

/// The command named `name`.
pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    for (i, part) in snake.split('_').enumerate() {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if i > 0 => out.extend(c.to_uppercase().chain(chars)),
            Some(c) => out.extend(std::iter::once(c).chain(chars)),
            None => {}
        }
    }
    out
}

/// `ui/src/ipc/bindings/commands.ts`: one typed function per command, calling it by name with
/// its arguments under the names the command takes (Tauri maps camelCase to snake_case).
pub fn typescript(cfg: &Config) -> String {
    let mut types = std::collections::BTreeSet::new();
    let mut body = String::new();
    for c in COMMANDS {
        let named: Vec<String> = c
            .args
            .iter()
            .map(|(_, t)| (t.name)(cfg))
            .chain([(c.result.name)(cfg)])
            .collect();
        for n in &named {
            types.extend(named_types(n));
        }
        let result = match (c.result.name)(cfg).as_str() {
            "null" => "void".to_string(),
            other => other.to_string(),
        };
        body.push_str("\n/**\n");
        for line in c.doc {
            body.push_str(&format!(" * {}\n", line.trim()));
        }
        body.push_str(&format!(" * (`{}`)\n */\n", c.name));
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| format!("{}: {}", camel(n), (t.name)(cfg)))
            .collect();
        let names: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
        let args = if names.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", names.join(", "))
        };
        body.push_str(&format!(
            "export function {}({}): Promise<{result}> {{\n  return call<{result}>('{}'{args});\n}}\n",
            camel(c.name),
            params.join(", "),
            c.name,
        ));
    }
    let mut out = String::from(
        "// Generated from the command table (crates/commands) by `make bindings`. Do not edit.\n\n\
         import { call } from '../call';\n",
    );
    for t in types {
        out.push_str(&format!("import type {{ {t} }} from './{t}';\n"));
    }
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_rule_a_window_and_a_unique_name() {
        let mut seen = std::collections::BTreeSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "{} twice", c.name);
            assert!(!c.windows.is_empty(), "{}", c.name);
            assert_eq!(crate::session::access::rule(c.name), Some(c.rule));
        }
        assert_eq!(crate::session::access::rule("no_such_command"), None);
    }

    #[test]
    fn the_wrappers_name_their_arguments_as_the_commands_take_them() {
        let cfg = Config::new().with_large_int("number");
        let ts = typescript(&cfg);
        assert!(ts.contains(
            "export function pollCase(caseId: string, revision: number): Promise<CaseView | null> {\n  return call<CaseView | null>('poll_case', { caseId, revision });\n}"
        ), "{ts}");
        assert!(
            ts.contains(
                "export function uiReady(): Promise<void> {\n  return call<void>('ui_ready');\n}"
            ),
            "{ts}"
        );
        assert!(ts.contains("import type { CaseView } from './CaseView';"));
        assert_eq!(camel("set_aside_held_scan"), "setAsideHeldScan");
    }
}
