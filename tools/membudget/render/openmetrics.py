"""Render a report as OpenMetrics text: GitLab's metrics report (metrics.txt).

One gauge sample per component (and bucket) and size class, per image
class total (code, rodata, data, bss, rom, ram), and per budget, all in
bytes, labelled with the image's name; the exposition ends with `# EOF`.
GitLab shows each sample's change between the merge request and its
target branch.

    # TYPE membudget_component_bytes gauge
    # UNIT membudget_component_bytes bytes
    membudget_component_bytes{image="firmware",component="heap",class="code"} 775
    ...
    # EOF
"""

from ..analysis.summary import BUDGET_ORDER

FAMILIES = (
    ("membudget_component_bytes", "Bytes each component or bucket holds, per size class."),
    ("membudget_image_bytes", "Bytes of the whole image, per size class, rom and ram."),
    ("membudget_budget_bytes", "Each budget of the budgets file, in bytes."),
    ("membudget_region_used_bytes", "Bytes used of each memory region, as ld counts them."),
)


def _label(value):
    """An OpenMetrics label value: backslash, double quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name, labels, value):
    text = ",".join(f'{key}="{_label(val)}"' for key, val in labels)
    return f"{name}{{{text}}} {value}"


def render(report):
    summary = report.summary
    image = summary.image_name or summary.elf
    samples = {name: [] for name, _ in FAMILIES}
    for row in summary.components + summary.buckets:
        for key in BUDGET_ORDER:
            samples["membudget_component_bytes"].append(_sample(
                "membudget_component_bytes",
                (("image", image), ("component", row.name), ("class", key)),
                row.sizes.get(key)))
    for key in BUDGET_ORDER:
        samples["membudget_image_bytes"].append(_sample(
            "membudget_image_bytes", (("image", image), ("class", key)),
            summary.total.sizes.get(key)))
    for line in summary.budget_lines():
        samples["membudget_budget_bytes"].append(_sample(
            "membudget_budget_bytes", (("image", image), ("owner", line.owner),
                                       ("class", line.key)), line.budget))
    for region in summary.regions:
        samples["membudget_region_used_bytes"].append(_sample(
            "membudget_region_used_bytes", (("image", image), ("region", region.name)),
            region.used))
    out = []
    for name, text in FAMILIES:
        if not samples[name]:
            continue
        out += [f"# TYPE {name} gauge", f"# UNIT {name} bytes", f"# HELP {name} {text}"]
        out += samples[name]
    out.append("# EOF")
    return "\n".join(out) + "\n"
