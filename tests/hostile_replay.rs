//! Every input under testdata/hostile/fuzz/TARGET/ (a fuzz finding, or a hostile input from
//! issue 11's pass) goes through the same entry point its fuzz target uses: none may panic,
//! overflow the stack or abort. bench/fuzz.sh says how to add one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn every_hostile_input_is_handled_without_a_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hostile/fuzz");
    let mut replayed = 0;
    for (name, run) in initlint::fuzz::TARGETS {
        let dir = root.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{}: no inputs", dir.display());
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            // A thread with the default 2 MiB stack, as the CLI's main thread has 8 MiB:
            // deep input must be refused by depth limits, not by a big stack.
            let runner = *run;
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || runner(&data))
                .unwrap()
                .join()
                .unwrap_or_else(|_| panic!("{} panicked", input.display()));
            replayed += 1;
        }
    }
    assert!(replayed >= 10, "only {replayed} inputs");
}
