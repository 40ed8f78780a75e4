//! Format adapters: the only code that knows KFP or Argo field names. Each turns documents
//! into the shared [`model`](crate::model), with cluster defaults applied.

mod argo;
mod detect;
mod kfp_ir;
mod read;

pub use detect::{adapt_file, FileKind};
