"""Which stadsdel a point lies in: the city's 117 polygons in a shapely STRtree, built once.

Used for schools (their register coordinates) and for a map pin a user sends about a child's
home. A pin is used for one answer and forgotten: nothing here stores or logs a coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.home_maps import StadsdelShape

if TYPE_CHECKING:  # shapely loads with the first map (a pin, an import with coordinates)
    from shapely.geometry import Polygon
    from shapely.prepared import PreparedGeometry

# Latitude/longitude that can be a place on Earth; anything else is not a coordinate.
MAX_LATITUDE = 90.0
MAX_LONGITUDE = 180.0


@dataclass(frozen=True)
class Placed:
    """Where a point lies: its stadsdel and that stadsdel's area."""

    stadsdel: str
    area_id: str


def is_coordinate(lat: float, lon: float) -> bool:
    return -MAX_LATITUDE <= lat <= MAX_LATITUDE and -MAX_LONGITUDE <= lon <= MAX_LONGITUDE


class CityMap:
    """Point-in-polygon over the stadsdelar; a query touches only the few nearby polygons."""

    def __init__(self, shapes: tuple[StadsdelShape, ...]) -> None:
        from shapely import STRtree
        from shapely.geometry import Polygon
        from shapely.prepared import prep

        self._shapes = shapes
        polygons = [Polygon(shape.rings[0], shape.rings[1:]) for shape in shapes]
        self._tree = STRtree(polygons)
        self._prepared: list[PreparedGeometry[Polygon]] = [prep(polygon) for polygon in polygons]

    def __len__(self) -> int:
        return len(self._shapes)

    def locate(self, lat: float, lon: float) -> Placed | None:
        """The stadsdel at (lat, lon) in WGS84, or None outside the City of Stockholm.

        A point on a shared border belongs to the first polygon (in file order) that covers it.
        """
        from shapely.geometry import Point

        if not is_coordinate(lat, lon):
            return None
        point = Point(lon, lat)
        for number in sorted(int(n) for n in self._tree.query(point)):
            if self._prepared[number].covers(point):
                shape = self._shapes[number]
                return Placed(shape.name, shape.area_id)
        return None
