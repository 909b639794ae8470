-- Reference data, reloaded whole from the CSV folder by `cityops db load-reference`.
CREATE TABLE IF NOT EXISTS {db}.{ref_agencies}
(
    agency_code String,
    agency_name String,
    area_code String,
    level String,
    on_time_target Float64
)
ENGINE = MergeTree()
ORDER BY agency_code;

CREATE TABLE IF NOT EXISTS {db}.{ref_areas}
(
    area_code String,
    area_name String,
    level String,
    parent_code String,
    population UInt64
)
ENGINE = MergeTree()
ORDER BY area_code;

CREATE TABLE IF NOT EXISTS {db}.{ref_procedures}
(
    procedure_code String,
    procedure_name String,
    field_code String,
    agency_level String,
    agency_code String,
    working_days Float64,
    fee_vnd UInt64,
    online_level String,
    weight Float64
)
ENGINE = MergeTree()
ORDER BY procedure_code;
