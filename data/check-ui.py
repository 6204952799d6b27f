#!/usr/bin/env python3
# Checks the GtkBuilder files in a folder: each must be well-formed XML, and each interactive
# widget must have a name that assistive technologies (screen readers) can announce.
#
# Usage: check-ui.py DIR
# Exits 1 and lists every problem as FILE:LINE: message when a check fails.
#
# A widget of a checked class has an accessible name when any of these holds:
#   - it has a non-empty "label" or "tooltip-text" (or "tooltip-markup") property;
#   - it has an <accessibility> child with a <relation type="labelled-by" target="..."/>;
#   - it has an internal "accessible" AtkObject child whose AtkObject::accessible-name is set;
#   - a GtkLabel in the same file names it as its "mnemonic-widget" (GTK then adds the
#     labelled-by relation itself);
#   - for the button classes only, a GtkLabel with a label is among its <child> descendants
#     (GTK 3 takes a button's accessible name from the label inside it).

import os
import sys
import xml.etree.ElementTree as ET
from xml.parsers import expat

CHECKED_CLASSES = {
    "GtkButton",
    "GtkToggleButton",
    "GtkMenuButton",
    "GtkEntry",
    "GtkSearchEntry",
    "GtkSpinButton",
    "GtkCheckButton",
    "GtkSwitch",
    "GtkComboBoxText",
    "GtkTreeView",
}
BUTTON_CLASSES = {"GtkButton", "GtkToggleButton", "GtkMenuButton", "GtkCheckButton"}
NAMING_PROPERTIES = {"label", "tooltip-text", "tooltip-markup"}
ATK_NAME_PROPERTIES = {"AtkObject::accessible-name", "accessible-name"}


def prop_name(elem):
    # GtkBuilder treats "tooltip_text" and "tooltip-text" alike.
    return (elem.get("name") or "").replace("_", "-")


def has_text(elem):
    return bool((elem.text or "").strip())


def has_naming_property(obj):
    return any(prop_name(p) in NAMING_PROPERTIES and has_text(p) for p in obj.findall("property"))


def has_labelled_by(obj):
    for acc in obj.findall("accessibility"):
        for rel in acc.findall("relation"):
            if rel.get("type") == "labelled-by" and rel.get("target"):
                return True
    return False


def has_atk_name(obj):
    for child in obj.findall("child"):
        if child.get("internal-child") != "accessible":
            continue
        for atk in child.findall("object"):
            for p in atk.findall("property"):
                if prop_name(p) in ATK_NAME_PROPERTIES and has_text(p):
                    return True
    return False


def has_label_child(obj):
    # Follow only <child> elements: an object held in a property (a popover, a model) is not
    # part of the button's content.
    for child in obj.findall("child"):
        if child.get("internal-child") == "accessible":
            continue
        for sub in child.findall("object"):
            if sub.get("class") == "GtkLabel" and any(
                prop_name(p) == "label" and has_text(p) for p in sub.findall("property")
            ):
                return True
            if has_label_child(sub):
                return True
    return False


def mnemonic_targets(root):
    targets = set()
    for obj in root.iter("object"):
        if obj.get("class") != "GtkLabel":
            continue
        props = {prop_name(p): p for p in obj.findall("property")}
        widget = props.get("mnemonic-widget")
        label = props.get("label")
        if widget is not None and label is not None and has_text(widget) and has_text(label):
            targets.add(widget.text.strip())
    return targets


def parse(path):
    """Parses PATH into an ElementTree root, returning it with the line of each element."""
    # ElementTree keeps no line numbers; drive its TreeBuilder from expat to record them.
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    lines = {}

    def start(tag, attrs):
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    with open(path, "rb") as f:
        parser.ParseFile(f)
    return builder.close(), lines


def check_file(path):
    problems = []
    try:
        root, lines = parse(path)
    except expat.ExpatError as e:
        reason = expat.ErrorString(e.code)
        return [f"{path}:{e.lineno}:{e.offset + 1}: not well-formed XML: {reason}"]

    if root.tag != "interface":
        problems.append(f"{path}:1: the root element is <{root.tag}>, not <interface>")

    targets = mnemonic_targets(root)

    for obj in root.iter("object"):
        cls = obj.get("class")
        if cls not in CHECKED_CLASSES:
            continue
        if (
            has_naming_property(obj)
            or has_labelled_by(obj)
            or has_atk_name(obj)
            or (obj.get("id") is not None and obj.get("id") in targets)
            or (cls in BUTTON_CLASSES and has_label_child(obj))
        ):
            continue
        ident = f' id="{obj.get("id")}"' if obj.get("id") else ""
        problems.append(
            f'{path}:{lines[obj]}: <object class="{cls}"{ident}> has no accessible name: give it a '
            f'"label" or "tooltip-text" property, an <accessibility> labelled-by relation, an '
            f"AtkObject::accessible-name, or point a GtkLabel's mnemonic-widget at it"
        )
    return problems


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} DIR", file=sys.stderr)
        return 2
    directory = argv[1]
    if not os.path.isdir(directory):
        print(f"{directory}: not a folder", file=sys.stderr)
        return 2

    files = sorted(
        os.path.join(dirpath, name)
        for dirpath, _, names in os.walk(directory)
        for name in names
        if name.endswith(".ui")
    )
    problems = []
    for path in files:
        problems.extend(check_file(path))

    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"checked {len(files)} .ui file(s) in {directory}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
