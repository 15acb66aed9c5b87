"""Formula shapes shared by several families (rate × cost within a ceiling), written once with their steps."""

from __future__ import annotations

from fractions import Fraction

from afas_estimation.domain.rules.computation import Computation


def hourly_within_ceiling(c: Computation, hours: Fraction, hours_label: str) -> Fraction:
    """rate × min(total charges, hourly ceiling × hours) (LAEP, Espace de rencontre): no division to multiply back."""
    charges = c.number("total_charges")
    c.step("Prix de revient horaire (pour information)", charges / hours, "€/h", f"total des charges ÷ {hours_label}")
    ceiling = c.amount("prix_plafond_horaire")
    cap = c.step("Plafond des charges retenues", ceiling * hours, "€", f"prix plafond horaire × {hours_label}")
    kept = c.step("Charges retenues", min(charges, cap), "€", "le plus petit du total des charges et du plafond")
    rate = c.amount("taux_ps")
    return c.step("Prestation de service", rate * kept, "€", "taux × charges retenues")


def per_post_within_ceiling(c: Computation, etp_field: str, post_label: str) -> Fraction:
    """rate × min(total charges, ceiling per full-time post × posts) (RPE, médiation familiale, PS Jeunes, CTG)."""
    charges = c.number("total_charges")
    posts = c.number(etp_field)
    ceiling = c.step(
        "Plafond des charges retenues",
        c.amount("prix_plafond_etp") * posts,
        "€",
        f"prix plafond par ETP × {post_label}",
    )
    kept = c.step("Charges retenues", min(charges, ceiling), "€", "le plus petit du total des charges et du plafond")
    rate = c.amount("taux_ps")
    return c.step("Prestation de service", rate * kept, "€", "taux × charges retenues")


def eligible_within_ceiling(c: Computation, eligible_field: str, eligible_label: str) -> Fraction:
    """rate × min(eligible charges, ceiling per structure) (centres sociaux); the total stands in when not itemised."""
    if c.has(eligible_field):
        charges = c.step(f"Charges éligibles ({eligible_label})", c.number(eligible_field), "€")
    else:
        charges = c.step(
            "Charges éligibles (total des charges, faute de détail)",
            c.number("total_charges"),
            "€",
            f"{eligible_label} non renseignées",
        )
    ceiling = c.amount("prix_plafond")
    kept = c.step(
        "Charges retenues", min(charges, ceiling), "€", "le plus petit des charges éligibles et du prix plafond"
    )
    rate = c.amount("taux_ps")
    return c.step("Prestation de service", rate * kept, "€", "taux × charges retenues")


def eligible_missing(figures, eligible_field: str) -> list[str]:
    return [] if eligible_field in figures or "total_charges" in figures else [eligible_field]
