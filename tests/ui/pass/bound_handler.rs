include!("../support.rs");

use catalog::generated::types::users::{SetPasswordInput, SetPasswordOutput};

#[idmcp_macros::operation(users::SetPassword)]
async fn set_password(_ctx: &mut engine::Ctx, input: SetPasswordInput) -> Result<SetPasswordOutput, error::ApiError> {
    let _ = input.password;
    Ok(SetPasswordOutput {})
}

fn main() {
    // The dispatch table reaches the handler through the binding trait.
    let _f: for<'a> fn(&'a mut engine::Ctx, serde_json::Value) -> catalog::HandlerFuture<'a> =
        <catalog::Handlers as catalog::generated::bind::users::SetPassword>::call;
}
