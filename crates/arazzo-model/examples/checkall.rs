//! Runs `check` on every file given and prints each diagnostic on one line.
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let (_, diags) = arazzo_model::check(&path, &bytes);
        for d in diags {
            println!("{d}");
        }
    }
}
