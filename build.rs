//! Compiles operations/**/*.yaml into $OUT_DIR/operations.rs through idmcp-codegen; every spec
//! problem is reported as `operations/<area>/<Name>.yaml:line:col: message`, all in one run.

fn main() {
    // The directory itself, so that new files trigger a rebuild too.
    println!("cargo::rerun-if-changed=operations");
    // Tests of the build itself may point the catalog at another folder.
    println!("cargo::rerun-if-env-changed=IDMCP_OPERATIONS_DIR");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let ops = match std::env::var_os("IDMCP_OPERATIONS_DIR") {
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir);
            println!("cargo::rerun-if-changed={}", dir.display());
            dir
        }
        None => std::path::Path::new(&manifest).join("operations"),
    };
    if let Err(diags) = idmcp_codegen::generate(&ops, "operations", &out.join("operations.rs")) {
        for d in diags.sorted() {
            println!("cargo::error={d}");
        }
        println!(
            "cargo::error={} problem(s) in operations/; see operations/README.md for the format",
            diags.len()
        );
    }
}
