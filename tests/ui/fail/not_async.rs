include!("../support.rs");

use catalog::generated::types::users::{SetPasswordInput, SetPasswordOutput};

#[idmcp_macros::operation(users::SetPassword)]
fn set_password(_ctx: &mut engine::Ctx, _input: SetPasswordInput) -> Result<SetPasswordOutput, error::ApiError> {
    Ok(SetPasswordOutput {})
}

#[idmcp_macros::operation(SetPassword)]
async fn no_area(_ctx: &mut engine::Ctx, _input: SetPasswordInput) -> Result<SetPasswordOutput, error::ApiError> {
    Ok(SetPasswordOutput {})
}

fn main() {}
