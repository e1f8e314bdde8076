use syn::DeriveInput;

pub fn label(ast: &DeriveInput) -> Option<String> {
    ast.attrs.iter().find(|a| a.path().is_ident("describe")).map(|_| "described".to_string())
}
