include!("../support.rs");

use catalog::generated::types::users::SetPasswordOutput;

#[idmcp_macros::operation(users::SetPassword)]
async fn set_password(_ctx: &mut engine::Ctx, _input: String) -> Result<SetPasswordOutput, error::ApiError> {
    Ok(SetPasswordOutput {})
}

fn main() {}
