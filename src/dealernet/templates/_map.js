/* dealernet map builder: fills the layer groups folium made from the page's JSON block.
 *
 * Every text shown (tooltips, popups) arrives as HTML that dealernet's Jinja templates
 * already escaped; this script never assembles HTML from data values. Marker icons are SVG
 * from the same templates. When done it sets window.dealernetMap (map, groups, counts,
 * ready), which the browser tests and the screenshot command wait for.
 */
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("dealernet-map-data").textContent);
  var map = window[data.map];
  var style = data.style;
  var groups = {};
  Object.keys(data.groups).forEach(function (key) {
    groups[key] = window[data.groups[key]];
  });

  // Panes fix the drawing order whatever layers are switched off and on again.
  [["dn-outline", 330], ["dn-regions", 340], ["dn-links", 420], ["dn-places", 430]].forEach(
    function (pane) { map.createPane(pane[0]).style.zIndex = pane[1]; }
  );
  map.getContainer().style.background = style.water;

  function icon(html, size, className) {
    return L.divIcon({
      html: html, className: className, iconSize: [size, size],
      iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2], tooltipAnchor: [size / 2, 0]
    });
  }
  // Popups pan clear of the title (top) and the legend (bottom right).
  var popupOptions = { maxWidth: 380, minWidth: 260, autoPanPaddingTopLeft: [50, 140],
                       autoPanPaddingBottomRight: [330, 30] };

  // Country outline: always drawn, so the map reads without background tiles. Its land
  // fill is light over tiles, and turns opaque as soon as a tile fails to load (offline).
  var outline = L.geoJSON(data.states, {
    pane: "dn-outline", interactive: false,
    style: { color: style.border, weight: 0.8, fillColor: style.land, fillOpacity: style.landOpacity }
  }).addTo(groups.outline);
  var offline = false;
  map.eachLayer(function (layer) {
    if (layer instanceof L.TileLayer) {
      layer.on("tileerror", function () {
        if (!offline) {
          offline = true;
          outline.setStyle({ fillOpacity: style.landOfflineOpacity });
          if (window.dealernetMap) { window.dealernetMap.offline = true; }
        }
      });
    }
  });

  // Regions with stores are filled and explain themselves on hover; the others are outlines.
  function choropleth(collection, group, weight) {
    if (!collection || !group) { return; }
    L.geoJSON(collection, {
      pane: "dn-regions",
      style: function (feature) {
        var fill = feature.properties.fill;
        return { fillColor: fill || style.land, fillOpacity: fill ? style.choroplethOpacity : 0,
                 color: style.border, weight: weight, opacity: 0.9 };
      },
      onEachFeature: function (feature, layer) {
        if (feature.properties.tip) {
          layer.bindTooltip(feature.properties.tip, { sticky: true });
        } else {
          layer.options.interactive = false;
        }
      }
    }).addTo(group);
  }
  choropleth(data.states, groups.states, 0.8);
  choropleth(data.counties, groups.counties, 0.5);
  // Packed shapes (see _map_market.py): rings of whole grid steps from the previous vertex.
  function unpack(packed) {
    if (!packed) { return null; }
    var grid = packed.grid;
    return { type: "FeatureCollection", features: packed.features.map(function (f) {
      var polygons = f[2].map(function (rings) {
        return rings.map(function (steps) {
          var ring = [], x = 0, y = 0;
          for (var i = 0; i < steps.length; i += 2) {
            x += steps[i]; y += steps[i + 1];
            ring.push([x * grid, y * grid]);
          }
          return ring;
        });
      });
      return { type: "Feature", properties: { fill: f[0], tip: f[1] },
               geometry: { type: "MultiPolygon", coordinates: polygons } };
    }) };
  }
  choropleth(unpack(data.share), groups.share, 0.4);

  // Two choropleths over each other read as neither: switching the share layer on puts
  // the jobs-lost ones away, and the other way round. After the layer control's own click
  // handling, so its checkboxes follow.
  if (groups.share) {
    var jobs = [groups.states, groups.counties].filter(Boolean);
    map.on("overlayadd", function (e) {
      var off = e.layer === groups.share ? jobs : (jobs.indexOf(e.layer) >= 0 ? [groups.share] : []);
      setTimeout(function () {
        off.forEach(function (g) { if (map.hasLayer(g)) { map.removeLayer(g); } });
      }, 0);
    });
  }

  if (data.circle) {
    L.circle([data.circle[0], data.circle[1]], {
      radius: data.circle[2], pane: "dn-links", interactive: false, color: style.radius,
      weight: 1.5, dashArray: "6 4", fill: false
    }).addTo(groups.outline);
  }

  data.places.forEach(function (p) {
    L.circleMarker([p[0], p[1]], {
      pane: "dn-places", radius: p[2], color: style.place, weight: 1.2,
      fillColor: style.place, fillOpacity: 0.45, className: "dn-place"
    }).bindTooltip(p[3]).addTo(groups.places);
  });

  data.lines.forEach(function (l) {
    L.polyline([[l[0], l[1]], [l[2], l[3]]], {
      pane: "dn-links", color: style.line, weight: 2, opacity: 0.9, className: "dn-link"
    }).bindTooltip(l[4], { sticky: true }).addTo(groups.lines);
  });

  var hostIcon = icon(data.icons.host, 22, "dn-host");
  data.hosts.forEach(function (h) {
    var card = data.cards[h[2]];
    L.marker([h[0], h[1]], { icon: hostIcon, zIndexOffset: -500 })
      .bindTooltip(card[0]).bindPopup(card[1], popupOptions).addTo(groups.hosts);
  });

  // Small grey clusters, so the decision colours stand out at national scale.
  function clusterIcon(className) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? 22 : (n < 50 ? 28 : 34);
      var inner = document.createElement("div");
      var label = document.createElement("span");
      label.textContent = String(n);
      inner.appendChild(label);
      return L.divIcon({ html: inner, className: className, iconSize: L.point(size, size) });
    };
  }
  groups.nissan.options.iconCreateFunction = clusterIcon("marker-cluster dn-cluster");
  var nissanIcon = icon(data.icons.nissan, 12, "dn-nissan");
  groups.nissan.addLayers(data.nissan.map(function (n) {
    var card = data.cards[n[2]];
    return L.marker([n[0], n[1]], { icon: nissanIcon })
      .bindTooltip(card[0]).bindPopup(card[1], popupOptions);
  }));

  // Competing stores: lighter clusters and small squares, tooltip only.
  if (groups.competitors && data.competitors) {
    groups.competitors.options.iconCreateFunction = clusterIcon("marker-cluster dn-cluster dn-rival");
    var rivalIcon = icon(data.icons.competitor, 14, "dn-rival-store");
    groups.competitors.addLayers(data.competitors.map(function (c) {
      return L.marker([c[0], c[1]], { icon: rivalIcon, zIndexOffset: -800 }).bindTooltip(c[2]);
    }));
  }

  var siteIcons = {};
  ["absorb", "close", "keep", "unaffected"].forEach(function (kind) {
    siteIcons[kind] = icon(data.icons[kind], 18, "dn-site dn-site-" + kind);
  });
  data.sites.forEach(function (s) {
    L.marker([s[0], s[1]], { icon: siteIcons[s[2]], zIndexOffset: 1000, riseOnHover: true })
      .bindTooltip(s[3]).bindPopup(s[4], popupOptions).addTo(groups[s[2]]);
  });

  // The legend as a map control, so it never covers the zoom or layer controls.
  var legend = document.getElementById("dn-legend");
  if (legend) {
    var Legend = L.Control.extend({
      onAdd: function () {
        L.DomEvent.disableClickPropagation(legend);
        L.DomEvent.disableScrollPropagation(legend);
        return legend;
      }
    });
    new Legend({ position: "bottomright" }).addTo(map);
  }
  var title = document.getElementById("dn-title");
  if (title) {
    L.DomEvent.disableClickPropagation(title);
    L.DomEvent.disableScrollPropagation(title);
  }

  // A phone has no room for the side margins kept for the legend: the legend starts folded
  // (a tap opens it) above the title, which sits at the bottom, and the view is fitted
  // again between the layer control and the title once folium's own fit (after this
  // script) has ended.
  if (map.getSize().x < 600) {
    var details = legend && legend.querySelector("details");
    if (details) { details.open = false; }
    map.once("moveend", function () {
      setTimeout(function () {
        var below = title ? title.offsetHeight + 36 : 20;
        if (legend) { legend.style.marginBottom = below + "px"; }
        var layers = document.querySelector(".leaflet-control-layers");
        var above = layers ? layers.offsetHeight + 20 : 20;
        if (data.bounds) {
          map.fitBounds(data.bounds, { paddingTopLeft: [10, above], paddingBottomRight: [10, below],
                                       animate: false });
        }
      }, 0);
    });
  }

  // readyMs: milliseconds from navigation start until every layer is built.
  window.dealernetMap = {
    map: map, groups: groups, counts: data.counts, ready: true, offline: offline,
    buildMs: performance.now() - started, readyMs: performance.now()
  };
})();
