//! What the Debian package installs agrees with the code and the README: the README's
//! configuration table lists every variable the command line reads, with its defaults; the
//! packaged environment file holds each of them, commented out, with that default; the man page
//! and the completions come from the clap definitions. (The package itself is built, installed
//! and run by tests/package/run.sh, in CI.)

use clap::CommandFactory;
use std::collections::BTreeMap;

/// The README's configuration table: each variable and the first value of its default column
/// (`""` when the default is none).
fn readme_settings() -> BTreeMap<String, String> {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("## Configuration")
        .nth(1)
        .expect("a Configuration section");
    let mut settings = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(variable), Some(default)) = (cells.get(2), cells.get(3)) else {
            continue;
        };
        let Some(variable) = variable.split('`').nth(1) else {
            continue;
        };
        let default = match default.strip_prefix('`') {
            Some(rest) => rest.split('`').next().unwrap_or_default().to_owned(),
            None => String::new(),
        };
        settings.insert(variable.to_owned(), default);
    }
    settings
}

/// Every variable the command line reads, with clap's default when it has one.
fn command_line_settings() -> BTreeMap<String, Option<String>> {
    fn walk(command: &clap::Command, found: &mut BTreeMap<String, Option<String>>) {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                let default = arg
                    .get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(",");
                found.insert(
                    env.to_string_lossy().into_owned(),
                    (!default.is_empty()).then_some(default),
                );
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, found);
        }
    }
    let mut found = BTreeMap::new();
    walk(&invoices_api::cli::Cli::command(), &mut found);
    found
}

#[test]
fn the_readme_configuration_table_lists_every_variable_with_the_code_s_default() {
    let readme = readme_settings();
    let code = command_line_settings();
    let mut expected: Vec<&String> = code.keys().collect();
    let rust_log = "RUST_LOG".to_owned();
    expected.push(&rust_log);
    expected.sort();
    assert_eq!(readme.keys().collect::<Vec<_>>(), expected);
    for (variable, default) in &code {
        let stated = &readme[variable];
        match default {
            Some(default) => assert_eq!(stated, default, "{variable}'s default"),
            None if variable == "DATABASE_URL" => assert_eq!(
                stated,
                invoices_api::store::database::DEFAULT_DATABASE_URL,
                "{variable}'s default"
            ),
            None => assert_eq!(stated, "", "{variable} has no default in the code"),
        }
    }
}

#[test]
fn the_packaged_environment_file_holds_every_setting_commented_with_its_default() {
    let file = include_str!("../../packaging/invoices-api.env");
    let readme = readme_settings();
    let mut in_file = BTreeMap::new();
    for line in file.lines() {
        assert!(
            line.is_empty() || line.starts_with('#'),
            "only comments: the defaults hold until the operator sets one: {line:?}"
        );
        let Some((variable, value)) = line.strip_prefix("# ").and_then(|l| l.split_once('='))
        else {
            continue;
        };
        if variable
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            in_file.insert(variable.to_owned(), value.to_owned());
        }
    }
    assert_eq!(in_file, readme);
}

#[test]
fn the_man_page_and_the_completions_come_from_the_command_line() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_invoices-api"))
            .args(args)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let page = run(&["manpage"]);
    assert!(page.contains(".TH invoices-api 1"), "{page}");
    for command in invoices_api::cli::Cli::command().get_subcommands() {
        assert!(
            page.contains(command.get_name()),
            "the man page names {}",
            command.get_name()
        );
    }
    for (shell, marker) in [
        ("bash", "complete -F _invoices__api"),
        ("zsh", "#compdef invoices-api"),
        ("fish", "complete -c invoices-api"),
    ] {
        let script = run(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("migrate"), "{shell} completes the commands");
    }
}
