"""Map colours, following the convention of published "three lines one list" maps:
priority protection green, key control red/orange, general control yellow;
ecological redline dark green hatch/outline, protected areas purple, water-source
zones blue (darker for stricter levels)."""

CATEGORY_COLOURS = {"priority": "#4daf4a", "key": "#e8543a", "general": "#f2d14b"}
REDLINE_COLOUR = "#006d2c"
PROTECTED_COLOURS = {
    "core": "#6a1b9a", "buffer": "#8e44ad", "experimental": "#b784d4",
    "core_protection": "#6a1b9a", "general_control": "#b784d4",
}
WATER_COLOURS = {"level1": "#08519c", "level2": "#3182bd", "quasi": "#9ecae1"}
SITE_COLOUR = "#000000"
BUFFER_COLOUR = "#555555"
