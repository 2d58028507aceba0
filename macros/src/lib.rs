//! `#[operation(area::Name)]`: binds a hand-written async handler to the operation generated
//! from `operations/<area>/<Name>.yaml`. The macro knows nothing about the YAML: it implements
//! the generated binding trait `crate::catalog::generated::bind::<area>::<Name>` and lets rustc
//! check the handler against the generated input/output types, with errors on the user's code.

mod operation;

use proc_macro::TokenStream;

/// Binds `async fn f(ctx: &mut Ctx, input: types::<area>::<Name>Input) -> Result<types::<area>::<Name>Output, ApiError>`
/// to the generated operation `<area>::<Name>`.
#[proc_macro_attribute]
pub fn operation(attr: TokenStream, item: TokenStream) -> TokenStream {
    operation::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
