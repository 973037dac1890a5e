"""The org domain's public API for other domains: streets, communities, grids, compounds, buildings,
households, departments and property companies, read by id; unit names and locations."""

from __future__ import annotations

from app.org.service import department_by_code as department_by_code
from app.org.service import get_building as get_building
from app.org.service import get_community as get_community
from app.org.service import get_compound as get_compound
from app.org.service import get_department as get_department
from app.org.service import get_grid as get_grid
from app.org.service import get_household as get_household
from app.org.service import get_property_company as get_property_company
from app.org.service import get_street as get_street
from app.org.service import household_ids_by_label as household_ids_by_label
from app.org.service import household_label as household_label
from app.org.service import household_labels as household_labels
from app.org.service import list_buildings as list_buildings
from app.org.service import list_communities as list_communities
from app.org.service import list_compounds as list_compounds
from app.org.service import list_departments as list_departments
from app.org.service import list_streets as list_streets
from app.org.service import unit_location as unit_location
from app.org.service import unit_name as unit_name
from app.org.service import unit_name_of as unit_name_of
from app.org.service import unit_names as unit_names
