//! The committed man pages and completion scripts match what the CLI generates now.

use std::path::Path;
use std::process::Command;

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn man_pages_and_completions_do_not_drift() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["generate", "--out-dir"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["man", "completions"] {
        let fresh = out.path().join(sub);
        let committed = root.join(sub);
        assert_eq!(
            files(&fresh),
            files(&committed),
            "{sub}/ file list drifted: run `cargo run -- generate`"
        );
        for name in files(&fresh) {
            let a = std::fs::read(fresh.join(&name)).unwrap();
            let b = std::fs::read(committed.join(&name)).unwrap();
            assert!(
                a == b,
                "{sub}/{name} is stale: run `cargo run -- generate` and commit the result"
            );
        }
    }
    let man = std::fs::read_to_string(root.join("man/relay.1")).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH relay 1"),
        "man header present"
    );
    assert!(root.join("man/relay-key-create.1").exists());
}
