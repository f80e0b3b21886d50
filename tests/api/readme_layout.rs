//! The README's layout section describes the tree as it is: every path it lists exists, and
//! every module of `src/` is listed; and the layers it describes hold: only the HTTP layer and
//! what starts it reach into it.

use std::path::{Path, PathBuf};

/// The first word of each line of the README's layout block.
fn listed_paths() -> Vec<String> {
    let readme = include_str!("../../README.md");
    let section = readme.split("## Layout").nth(1).expect("a Layout section");
    let block = section.split("```").nth(1).expect("a code block");
    block
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Every `.rs` file under `dir`, relative to the repository.
fn rust_files(root: &Path, dir: &Path, found: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).expect("a readable directory");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under the root");
            found.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_readme_layout_lists_what_exists_and_every_module() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let listed = listed_paths();
    assert!(listed.len() > 20, "the layout block was found: {listed:?}");
    for path in &listed {
        assert!(
            root.join(path).exists(),
            "README lists {path}, which is gone"
        );
    }
    let mut modules = Vec::new();
    rust_files(&root, &root.join("src"), &mut modules);
    for module in modules {
        assert!(
            listed.contains(&module),
            "README's layout does not list {module}"
        );
    }
}

/// Nothing below the API (the domain, the store, the wire forms, the webhook deliverer, the
/// rest of `src/`) names `crate::api`: only `src/api/` itself, `src/startup.rs`, which serves
/// it, and `src/cli/`, which prints its spec, do.
#[test]
fn only_the_api_its_server_and_the_command_line_reach_into_the_api() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(root, &root.join("src"), &mut files);
    let may_reach = |path: &str| {
        path.starts_with("src/api/") || path.starts_with("src/cli/") || path == "src/startup.rs"
    };
    let mut reaching = Vec::new();
    for path in files.iter().filter(|path| !may_reach(path)) {
        let text = std::fs::read_to_string(root.join(path)).expect("a readable file");
        for (number, line) in text.lines().enumerate() {
            if line.contains("crate::api") {
                reaching.push(format!("{path}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(files.len() > 50, "the walk found {} files", files.len());
    assert!(reaching.is_empty(), "reach into the API: {reaching:#?}");
}
