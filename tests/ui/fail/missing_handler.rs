include!("../support.rs");

// What the generated dispatch table does for a `handler: rust` operation nobody bound.
fn main() {
    let _f: for<'a> fn(&'a mut engine::Ctx, serde_json::Value) -> catalog::HandlerFuture<'a> =
        <catalog::Handlers as catalog::generated::bind::users::SetPassword>::call;
}
