//! Loads every file given on the command line and reports failures and timing.
fn main() {
    let mut total = std::time::Duration::ZERO;
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let t = std::time::Instant::now();
        let r = arazzo_model::load::load(&path, &bytes);
        let el = t.elapsed();
        total += el;
        match r {
            Ok(_) => {
                if el.as_millis() > 50 {
                    println!("slow {path}: {el:?} ({} bytes)", bytes.len());
                }
            }
            Err(d) => println!("{}", d.render(false)),
        }
    }
    println!("total {total:?}");
}
