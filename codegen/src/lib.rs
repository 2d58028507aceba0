//! idmcp-codegen: turns `operations/**/*.yaml` into the Rust registry that idmcp compiles.
//!
//! The pipeline has one module per phase, in the order data flows:
//! [`node`] parses YAML into a tree that remembers where every value came from;
//! [`spec`] decodes that tree into raw operation specs, reporting every unknown key, missing
//! field or wrong type; [`validate`] checks the rules that span files (names, buckets, `$ref`s,
//! the JSON Schema subset) and [`collections`] checks the stored collections and every verb's
//! fields against them; [`model`] resolves everything into the catalog that [`emit`] turns
//! into one formatted, deterministic Rust file. `build.rs` is a thin caller of [`generate`].
//! Every problem is a [`diag::Diagnostic`] printed as `path:line:col: message`, all in one run.

pub mod collections;
pub mod diag;
pub mod emit;
pub mod model;
pub mod node;
pub mod schema;
pub mod spec;
pub mod validate;

use std::path::Path;

pub use diag::{Diagnostic, Diagnostics};
pub use model::Catalog;

/// Loads and validates the catalog under `ops_dir` without emitting code.
///
/// `display_root` is prefixed to file paths in diagnostics (e.g. `operations`).
pub fn load_catalog(ops_dir: &Path, display_root: &str) -> Result<Catalog, Diagnostics> {
    let mut diags = Diagnostics::default();
    let files = spec::load_dir(ops_dir, display_root, &mut diags);
    let catalog = validate::validate(files, &mut diags);
    if diags.is_empty() {
        Ok(catalog)
    } else {
        Err(diags)
    }
}

/// Loads, validates and renders the catalog as formatted Rust source.
pub fn render(ops_dir: &Path, display_root: &str) -> Result<String, Diagnostics> {
    let catalog = load_catalog(ops_dir, display_root)?;
    Ok(emit::render(&catalog))
}

/// Renders the catalog into `out_file`, writing only when the content changed so that
/// unchanged YAML never bumps the mtime of the generated file.
pub fn generate(ops_dir: &Path, display_root: &str, out_file: &Path) -> Result<(), Diagnostics> {
    let code = render(ops_dir, display_root)?;
    let unchanged = std::fs::read_to_string(out_file).is_ok_and(|old| old == code);
    if !unchanged {
        std::fs::write(out_file, code).map_err(|e| {
            Diagnostics::single(Diagnostic::file(
                out_file.display().to_string(),
                format!("cannot write generated code: {e}"),
            ))
        })?;
    }
    Ok(())
}
