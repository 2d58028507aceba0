// The items `#[operation]` binds to, shaped as the generated catalog shapes them (see
// codegen/src/emit.rs `emit_binds` and src/catalog.rs), for compile tests of the macro alone.

mod catalog {
    pub struct Handlers;
    pub type HandlerFuture<'a> =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<serde_json::Value, crate::error::ApiError>> + Send + 'a>>;
    pub fn decode_input<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, crate::error::ApiError> {
        serde_json::from_value(v).map_err(|_| crate::error::ApiError)
    }
    pub fn encode_output<T: serde::Serialize>(t: T) -> Result<serde_json::Value, crate::error::ApiError> {
        serde_json::to_value(t).map_err(|_| crate::error::ApiError)
    }
    pub mod generated {
        pub mod bind {
            pub mod users {
                #[diagnostic::on_unimplemented(
                    message = "operations/users/SetPassword.yaml declares `handler: rust`, but no handler is bound to `users_write.SetPassword`",
                    label = "needs a function marked #[operation(users::SetPassword)]"
                )]
                pub trait SetPassword {
                    fn call<'a>(ctx: &'a mut crate::engine::Ctx, args: serde_json::Value) -> crate::catalog::HandlerFuture<'a>;
                }
            }
        }
        pub mod types {
            pub mod users {
                #[derive(serde::Deserialize)]
                pub struct SetPasswordInput {
                    pub password: String,
                }
                #[derive(serde::Serialize)]
                pub struct SetPasswordOutput {}
            }
        }
    }
}

mod engine {
    pub struct Ctx;
}

mod error {
    #[derive(Debug)]
    pub struct ApiError;
}
