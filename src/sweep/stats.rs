//! The statistics a sweep reports over seeds: a pass rate with its Wilson score interval, and a mean
//! with its standard deviation and a 95% t interval.

/// The 97.5% quantile of the standard normal distribution.
const Z975: f64 = 1.959_963_984_540_054;

/// The 95% Wilson score interval of a pass rate of `passes` out of `n`; `(0, 1)` when `n` is 0.
/// Five passes out of five give `[0.566, 1.0]`, not "100%".
pub fn wilson(passes: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = passes as f64 / n;
    let z2 = Z975 * Z975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The 97.5% quantile of Student's t distribution with `df` degrees of freedom (the factor of a
/// two-sided 95% interval): tabulated to four decimals up to 30, a Cornish–Fisher expansion beyond
/// (within 1e-4 there).
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let z = Z975;
            let v = df as f64;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
            let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
                - 1920.0 * z.powi(3)
                - 945.0 * z)
                / 92160.0;
            z + g1 / v + g2 / v.powi(2) + g3 / v.powi(3) + g4 / v.powi(4)
        }
    }
}

/// Mean, spread and extremes of some values (over seeds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Describe {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); none for one value.
    pub sd: Option<f64>,
    /// 95% t interval of the mean; none for one value.
    pub ci95: Option<(f64, f64)>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// [`Describe`] of `values` in the order given (sums are taken in that order, so the result is the
/// same bytes on every machine); `None` when there are none.
pub fn describe(values: &[f64]) -> Option<Describe> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let (sd, ci95) = if n > 1 {
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t975(n - 1) * sd / (n as f64).sqrt();
        (Some(sd), Some((mean - half, mean + half)))
    } else {
        (None, None)
    };
    Some(Describe {
        n,
        mean,
        sd,
        ci95,
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// The median of `values` (the mean of the two middle ones for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Rows of cells as text, each column padded to its widest cell, two spaces between columns.
pub fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|c| {
            rows.iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_gives_the_textbook_intervals() {
        let (lo, hi) = wilson(5, 5);
        assert!(close(lo, 0.5655, 1e-4) && hi == 1.0, "{lo} {hi}");
        let (lo, hi) = wilson(0, 10);
        assert!(lo == 0.0 && close(hi, 0.2775, 1e-4), "{lo} {hi}");
        // 81 of 263 (Newcombe 1998): [0.2553, 0.3662].
        let (lo, hi) = wilson(81, 263);
        assert!(
            close(lo, 0.2553, 1e-4) && close(hi, 0.3662, 1e-4),
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn t_quantiles_continue_the_table() {
        assert!(close(t975(30), 2.0423, 1e-9));
        assert!(close(t975(31), 2.0395, 1e-4), "{}", t975(31));
        assert!(close(t975(40), 2.0211, 1e-4), "{}", t975(40));
        assert!(close(t975(60), 2.0003, 1e-4), "{}", t975(60));
        assert!(close(t975(120), 1.9799, 1e-4), "{}", t975(120));
        assert!(t975(0).is_nan());
    }

    #[test]
    fn describe_and_median() {
        let d = describe(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(d.mean, 2.5);
        assert!(close(d.sd.unwrap(), 1.290_994_448_735_805_6, 1e-12));
        let (lo, hi) = d.ci95.unwrap();
        assert!(close(hi - 2.5, 3.1824 * d.sd.unwrap() / 2.0, 1e-12) && close(lo + hi, 5.0, 1e-12));
        assert_eq!((d.min, d.max), (1.0, 4.0));
        let one = describe(&[7.0]).unwrap();
        assert_eq!((one.sd, one.ci95), (None, None));
        assert!(describe(&[]).is_none());
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
