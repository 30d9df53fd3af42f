-- The table QGIS keeps a GeoPackage layer's styles in, column for column as QGIS creates it
-- (QgsOgrProviderMetadata::saveStyle: FID "id", the same schema as its PostGIS and
-- SpatiaLite providers), so QGIS loads the default style and can save its own beside it.
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
