"""Map colours, following the convention of published "three lines one list" maps:
priority protection green, key control red/orange, general control yellow;
protected areas purple, water-source zones blue (darker for stricter levels).

The ecological redline lies inside priority units (green): it is drawn in dark
crimson, hatched (static maps) or dashed with a heavy outline (web maps), and
never filled green, so it cannot be taken for a priority unit. The site is
black (static) or a white-cased black line (web), never green or red.
County boundaries of the offline basemap are grey dash-dot lines."""

CATEGORY_COLOURS = {"priority": "#4daf4a", "key": "#e8543a", "general": "#f2d14b"}
REDLINE_COLOUR = "#a50026"
PROTECTED_COLOURS = {
    "core": "#6a1b9a", "buffer": "#8e44ad", "experimental": "#b784d4",
    "core_protection": "#6a1b9a", "general_control": "#b784d4", "core_scenic": "#6a1b9a", "other_scenic": "#b784d4",
}
WATER_COLOURS = {"level1": "#08519c", "level2": "#3182bd", "quasi": "#9ecae1"}
SITE_COLOUR = "#000000"
BUFFER_COLOUR = "#555555"
#: Element zones (要素分区): one outline colour per kind; resource-limit zones by zone type.
ELEMENT_KIND_COLOURS = {"air_zones": "#1f78b4", "water_zones": "#00838f", "soil_zones": "#8c510a",
                        "resource_zones": "#c51b7d"}
RESOURCE_COLOURS = {
    "no_burn": "#c51b7d", "groundwater_no_extraction": "#5e3c99", "groundwater_limited_extraction": "#b2abd2",
    "eco_water_supply": "#35978f", "shoreline_priority": "#01665e", "shoreline_key": "#d95f0e",
    "shoreline_general": "#fec44f",
}
#: The offline basemap: county boundaries and seats (grey, under the zoning).
COUNTY_LINE_COLOUR = "#555555"
SEAT_COLOUR = "#222222"
#: The line from the site to the nearest point of a nearby feature (dotted on the static map).
NEARBY_COLOUR = "#222222"
#: A linear project's path inside a zone it crosses, and its entry/exit points (layers, KMZ, DXF).
CROSSING_COLOUR = "#d7301f"
#: Outline of an element zone of unknown kind, a protected-area zone or water level without a colour of its own.
OTHER_COLOUR = "#7a7a7a"
#: Permanent basic farmland (永久基本农田): hatched in dark gold, distinct from the general units' yellow fill.
FARMLAND_COLOUR = "#b8860b"
#: Hatches of the static maps (matplotlib): the redline a diagonal cross, farmland a square grid (田), so the two
#: differ in pattern as well as colour (a report printed in grey keeps them apart).
REDLINE_HATCH = "xx"
FARMLAND_HATCH = "+++"
#: The urban development boundary (城镇开发边界) by planning zone: dashed outlines in oranges and slate (apart from
#: the magenta of the no-burn zones, the purple of the protected areas, the blues and teals of water).
URBAN_COLOURS = {"concentrated": "#e65100", "flexible": "#ffa726", "special": "#37474f", "boundary": "#e65100"}
