//! The mean time to data loss against rational arithmetic: the chain's own
//! `f64` rates taken as exact rationals, `(-Q) T = 1` solved by Gaussian
//! elimination without rounding. Cases reach 1e40 years, where the previous
//! floating-point elimination gave wrong and negative numbers.

use codexsim_durability::exact::{
    birth_death, birth_death_mttdl, lazy_birth_death, Chain, ChainError, Repair, Whitepaper,
};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{FromPrimitive, ToPrimitive, Zero};

/// The exact mean time to absorption from state 0, as an `f64`.
#[allow(clippy::needless_range_loop)] // (the textbook elimination, rows indexed)
fn exact_mttdl(c: &Chain) -> f64 {
    let n = c.states;
    let q = |x: f64| BigRational::from_f64(x).expect("a finite rate");
    let mut a = vec![vec![BigRational::zero(); n]; n];
    for &(from, to, rate) in &c.transitions {
        a[from][from] += q(rate);
        if let Some(to) = to {
            a[from][to] -= q(rate);
        }
    }
    let mut b = vec![BigRational::from_integer(BigInt::from(1)); n];
    for col in 0..n {
        let p = (col..n).find(|&i| !a[i][col].is_zero()).expect("regular");
        a.swap(col, p);
        b.swap(col, p);
        for r in col + 1..n {
            if a[r][col].is_zero() {
                continue;
            }
            let f = &a[r][col] / &a[col][col];
            for j in col..n {
                let d = &f * &a[col][j];
                a[r][j] -= d;
            }
            let d = &f * &b[col];
            b[r] -= d;
        }
    }
    let mut x = vec![BigRational::zero(); n];
    for r in (0..n).rev() {
        let mut s = b[r].clone();
        for j in r + 1..n {
            s -= &a[r][j] * &x[j];
        }
        x[r] = s / &a[r][r];
    }
    x[0].to_f64().expect("representable")
}

fn assert_close(got: f64, exact: f64, what: &str) {
    let rel = (got / exact - 1.0).abs();
    assert!(
        rel < 1e-12,
        "{what}: {got:e} against exact {exact:e} ({rel:e} relative)"
    );
}

#[test]
fn birth_death_chains_keep_their_digits_up_to_1e40_years() {
    // (n, k, lambda, mu per year, repair, the exact value to 4 digits):
    // the first four are the cases where Gaussian elimination printed
    // 7.595e15, -5.09e17, 1.00e16 and 1.62e16.
    let cases = [
        (10, 5, 0.1, 365.0, Repair::Parallel, 5.157e15),
        (14, 7, 0.2, 200.0, Repair::Parallel, 2.113e17),
        (12, 4, 0.1, 365.0, Repair::Serial, 3.963e21),
        (12, 4, 0.1, 365.0, Repair::Parallel, 1.596e26),
        (13, 4, 0.05, 365.0, Repair::Parallel, 4.124e32),
        (16, 4, 0.1, 365.0, Repair::Parallel, 7.715e39),
        (4, 1, 0.5, 52.0, Repair::Parallel, 586269.5),
    ];
    for (n, k, lambda, mu, repair, approx) in cases {
        let exact = exact_mttdl(&birth_death(n, k, lambda, mu, repair));
        let got = birth_death_mttdl(n, k, lambda, mu, repair).unwrap();
        assert_close(
            got,
            exact,
            &format!("birth-death {n} {k} {lambda} {mu} {repair:?}"),
        );
        assert!((exact / approx - 1.0).abs() < 1e-3, "{exact:e} {approx:e}");
    }
}

#[test]
fn the_whitepaper_chain_keeps_its_digits() {
    // k = m = 10, l0 = 1, MTTF 3 years, MTTR and proof interval 6 h: exact
    // 4.47e23 years (Gaussian elimination printed 1.94e16).
    let six_hours = 6.0 / 8760.0;
    for (k, m, l0, approx) in [(10, 10, 1, 4.47e23), (6, 4, 2, 0.0), (4, 6, 3, 0.0)] {
        let w = Whitepaper {
            k,
            m,
            l0,
            mttf: 3.0,
            mttr: six_hours,
            mtbp: six_hours,
            strict: false,
        };
        let exact = exact_mttdl(&w.chain());
        assert_close(
            w.mttdl().unwrap(),
            exact,
            &format!("whitepaper {k} {m} {l0}"),
        );
        if approx > 0.0 {
            assert!((exact / approx - 1.0).abs() < 1e-2, "{exact:e}");
        }
    }
}

#[test]
fn lazy_chains_keep_their_digits_in_every_state() {
    let c = lazy_birth_death(9, 4, 0.2, 500.0, 2);
    let got = c.mean_time_to_absorption().unwrap();
    assert_close(got[0], exact_mttdl(&c), "lazy 9 4 l0 2");
    // Every state's value is its own chain's state 0 once renumbered: check
    // the last one by swapping it with 0.
    let last = c.states - 1;
    let swap = |s: usize| {
        if s == 0 {
            last
        } else if s == last {
            0
        } else {
            s
        }
    };
    let mut d = Chain::new(c.states);
    for &(f, t, r) in &c.transitions {
        d.add(swap(f), t.map(swap), r);
    }
    assert_close(got[last], exact_mttdl(&d), "lazy 9 4 l0 2, last state");
    assert!(got.iter().all(|&t| t > 0.0 && t.is_finite()));
}

#[test]
fn untrustworthy_answers_are_errors() {
    // A state that cannot reach data loss.
    let mut c = Chain::new(3);
    c.add(0, Some(1), 1.0);
    c.add(1, Some(0), 1.0);
    c.add(2, None, 1.0);
    assert!(matches!(
        c.mean_time_to_absorption(),
        Err(ChainError::NoAbsorption { .. })
    ));
    // A state with no way out at all.
    let mut c = Chain::new(2);
    c.add(0, None, 1.0);
    assert_eq!(
        c.mean_time_to_absorption(),
        Err(ChainError::NoAbsorption { state: 1 })
    );
    // Beyond f64: 60 pieces, any one recovers, repaired a billion times
    // faster than they fail.
    let r = birth_death_mttdl(60, 1, 1e-3, 1e6, Repair::Parallel);
    assert!(matches!(r, Err(ChainError::OutOfRange { .. })), "{r:?}");
    // A rate that is not a number.
    let mut c = Chain::new(1);
    c.add(0, None, f64::NAN);
    assert!(matches!(
        c.mean_time_to_absorption(),
        Err(ChainError::BadRate { .. })
    ));
}
