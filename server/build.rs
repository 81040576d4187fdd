//! Rebuild when the web UI changes: its files are embedded in the binary, and a new file in
//! dashboard-web/ would otherwise go unnoticed until something else changed.
fn main() {
    println!("cargo:rerun-if-changed=../dashboard-web");
}
