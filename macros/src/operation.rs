//! Expansion of `#[operation(...)]`: parse the target path and the function, check the shape
//! we can check syntactically, and emit the binding impl with spans on the user's tokens so
//! type errors point at the handler, not at generated code.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Path};

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let target: Path = syn::parse2(attr.clone()).map_err(|e| {
        syn::Error::new(e.span(), "expected the operation as `area::Name`, e.g. #[operation(users::SetUserTemporaryPassword)]")
    })?;
    let func: ItemFn = syn::parse2(item)?;
    let segments: Vec<_> = target.segments.iter().collect();
    if segments.len() != 2 {
        return Err(syn::Error::new_spanned(
            &target,
            "expected the operation as `area::Name`, e.g. #[operation(users::SetUserTemporaryPassword)]",
        ));
    }
    let area = &segments[0].ident;
    // Operation names are PascalCase, except the session tool's camelCase ones; the generated
    // items always use the PascalCase form.
    let raw = segments[1].ident.to_string();
    let pascal = raw[..1].to_uppercase() + &raw[1..];
    let name = syn::Ident::new(&pascal, segments[1].ident.span());

    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    if func.sig.asyncness.is_none() {
        push(syn::Error::new_spanned(
            &func.sig.fn_token,
            "an operation handler must be an `async fn`",
        ));
    }
    if func.sig.inputs.len() != 2 {
        push(syn::Error::new_spanned(
            &func.sig.inputs,
            format!(
                "an operation handler takes exactly two arguments: `(ctx: &mut Ctx, input: types::{area}::{name}Input)`"
            ),
        ));
    }
    if let Some(FnArg::Receiver(r)) = func.sig.inputs.first() {
        push(syn::Error::new_spanned(
            r,
            "an operation handler is a free function, not a method",
        ));
    }
    if !func.sig.generics.params.is_empty() {
        push(syn::Error::new_spanned(
            &func.sig.generics,
            "an operation handler cannot be generic",
        ));
    }
    if let Some(e) = errors {
        return Err(e);
    }

    let fn_name = &func.sig.ident;
    let input_ty = format_ident!("{}Input", name);
    let output_ty = format_ident!("{}Output", name);
    // Spanned on the target path: an unknown operation is reported where the user named it.
    let bind = quote_spanned! {target.span()=> crate::catalog::generated::bind::#area::#name };
    // Spanned on the signature: a mismatch with the generated types lands on the handler.
    let call = quote_spanned! {func.sig.span()=>
        {
            let input: crate::catalog::generated::types::#area::#input_ty = crate::catalog::decode_input(args)?;
            let output: ::std::result::Result<crate::catalog::generated::types::#area::#output_ty, crate::error::ApiError> =
                #fn_name(ctx, input).await;
            crate::catalog::encode_output(output?)
        }
    };
    Ok(quote! {
        #func

        impl #bind for crate::catalog::Handlers {
            fn call<'a>(ctx: &'a mut crate::engine::Ctx, args: ::serde_json::Value) -> crate::catalog::HandlerFuture<'a> {
                ::std::boxed::Box::pin(async move #call)
            }
        }
    })
}
