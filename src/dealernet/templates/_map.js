/* dealernet map builder: makes the map, its background and its layer groups from the page's
 * JSON block (into the map folium made, when the page is a folium.Map in a notebook).
 *
 * Every text shown (tooltips, popups) arrives as HTML that dealernet's Jinja templates
 * already escaped; this script never assembles HTML from data values. Marker icons are SVG
 * from the same templates. It then makes the layer list and lays the panels out for the
 * map's size (see "Layout" below). When done it sets window.dealernetMap (map, groups,
 * counts, ready), which the browser tests and the screenshot command wait for.
 */
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("dealernet-map-data").textContent);
  var map = data.map ? window[data.map] : L.map("dn-map", data.view);
  L.control.scale().addTo(map);
  var tiles = L.tileLayer(data.tiles.url, data.tiles.options).addTo(map);
  var style = data.style;
  var groups = {};
  // [key, "cluster" or "group", shown at first], in drawing order.
  data.groups.forEach(function (g) {
    groups[g[0]] = g[1] === "cluster" ? L.markerClusterGroup(data.cluster) : L.featureGroup();
    if (g[2]) { groups[g[0]].addTo(map); }
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
  // Popups pan clear of the title (top) and the legend (bottom right); on a phone, where
  // the panels are folded to buttons, clear of the buttons.
  var width = map.getSize().x;
  var popupOptions = width < 700
    ? { maxWidth: Math.min(380, width - 40), minWidth: Math.min(240, width - 60),
        autoPanPaddingTopLeft: [10, 60], autoPanPaddingBottomRight: [10, 50] }
    : { maxWidth: 380, minWidth: 260, autoPanPaddingTopLeft: [50, 140],
        autoPanPaddingBottomRight: [330, 30] };

  // Country outline: always drawn, so the map reads without background tiles. Its land
  // fill is light over tiles, and turns opaque as soon as a tile fails to load (offline).
  var outline = L.geoJSON(data.states, {
    pane: "dn-outline", interactive: false,
    style: { color: style.border, weight: 0.8, fillColor: style.land, fillOpacity: style.landOpacity }
  }).addTo(groups.outline);
  var offline = false;
  tiles.on("tileerror", function () {
    if (!offline) {
      offline = true;
      outline.setStyle({ fillOpacity: style.landOfflineOpacity });
      if (window.dealernetMap) { window.dealernetMap.offline = true; }
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
  // An owner's map names each store beside its marker: plain text (textContent), in the
  // store's layer, so it hides with it. Names of stores in the east half of the view read
  // to the left of their marker, so no name runs off the fitted view.
  var middle = data.bounds ? (data.bounds[0][1] + data.bounds[1][1]) / 2 : 0;
  function nameLabel(s) {
    var text = document.createElement("span");
    text.textContent = s[5];
    var side = s[1] > middle ? "dn-label dn-label-left" : "dn-label";
    return L.marker([s[0], s[1]], {
      icon: L.divIcon({ html: text, className: side, iconSize: [0, 0], iconAnchor: [0, 0] }),
      interactive: false, keyboard: false, zIndexOffset: 900
    });
  }
  data.sites.forEach(function (s) {
    L.marker([s[0], s[1]], { icon: siteIcons[s[2]], zIndexOffset: 1000, riseOnHover: true })
      .bindTooltip(s[3]).bindPopup(s[4], popupOptions).addTo(groups[s[2]]);
    if (data.labels && s.length > 5) { nameLabel(s).addTo(groups[s[2]]); }
  });

  // ---- Layout: the layer list, legend, title and view buttons never cover each other. ----
  // Wide (a desktop, a report's frame): the layer list open at the top right, the legend
  // below it, the title between the zoom buttons and the layer list. Narrow (a phone, or a
  // title squeezed too thin): each folds to a button, opening one folds the others, and the
  // title heads the right-hand column above the layer button. The view is then fitted into
  // the largest box no panel covers.
  var NARROW = 700;      // map width (px) under which the panels fold
  var TITLE_MIN = 300;   // narrowest title (px) the wide layout accepts
  var GAP = 10;
  var container = map.getContainer();
  var legend = document.getElementById("dn-legend");
  var legendBox = legend && legend.querySelector("details");
  var title = document.getElementById("dn-title");
  var titleBox = title && title.querySelector("details");
  [legend, title].forEach(function (panel) {
    if (panel) {
      L.DomEvent.disableClickPropagation(panel);
      L.DomEvent.disableScrollPropagation(panel);
    }
  });
  if (legend) {
    var Legend = L.Control.extend({ onAdd: function () { return legend; } });
    new Legend({ position: "bottomright" }).addTo(map);
  }
  if (title) { container.appendChild(title); }

  function corner(v, h) { return container.querySelector(".leaflet-" + v + ".leaflet-" + h); }
  function box(el) {  // an element's box in the map's pixels
    var c = container.getBoundingClientRect(), r = el.getBoundingClientRect();
    return { el: el, left: r.left - c.left, top: r.top - c.top, right: r.right - c.left,
             bottom: r.bottom - c.top };
  }
  function panels(v, h) {  // the shown controls of one corner
    var el = corner(v, h);
    if (!el) { return []; }
    return Array.prototype.filter.call(el.children, function (c) {
      return c.offsetWidth > 0 && c.offsetHeight > 0;
    }).map(box);
  }
  function most(list, side, start, pick) {
    return list.reduce(function (acc, p) { return pick(acc, p[side]); }, start);
  }
  function across(list, from, to) {  // the panels that reach into columns from..to
    return list.filter(function (p) { return p.right > from && p.left < to; });
  }
  function tops() {
    var list = panels("top", "left").concat(panels("top", "right"));
    if (title && !narrow) { list.push(box(title)); }
    return list;
  }
  function bottoms() { return panels("bottom", "left").concat(panels("bottom", "right")); }
  function leftColumn() {  // right edge of the zoom and view buttons
    return most(panels("top", "left"), "right", 0, Math.max);
  }

  // The view buttons (national map with stores beyond the lower 48): one click each.
  var views = data.views || [];
  if (views.length) {
    var Views = L.Control.extend({
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar dn-views");
        views.forEach(function (view) {
          var button = L.DomUtil.create("a", "dn-view", bar);
          button.href = "#";
          button.setAttribute("role", "button");
          button.textContent = view.label;
          L.DomEvent.on(button, "click", function (e) {
            L.DomEvent.preventDefault(e);
            show(view.bounds);
          });
        });
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      }
    });
    new Views({ position: "topleft" }).addTo(map);
  }

  // The layer list, made here so a phone gets it folded to a button.
  var base = {};
  base[data.tiles.label] = tiles;
  var overlays = {};
  data.control.overlays.forEach(function (entry) {
    if (groups[entry[0]]) { overlays[entry[1]] = groups[entry[0]]; }
  });
  var layers = null, narrow = null, wideLayers = 0;

  function only(which) {  // narrow: one panel open at a time
    if (!narrow) { return; }
    if (which !== "layers" && layers) { layers.collapse(); }
    if (which !== "legend" && legendBox && legendBox.open) { legendBox.open = false; }
    if (which !== "title" && titleBox && titleBox.open) { titleBox.open = false; }
  }
  function setMode(isNarrow) {
    if (isNarrow === narrow) { return; }
    narrow = isNarrow;
    L.DomUtil[narrow ? "addClass" : "removeClass"](container, "dn-narrow");
    if (layers) { layers.remove(); }
    layers = L.control.layers(base, overlays, { position: "topright", collapsed: narrow });
    if (title) {
      if (narrow) {
        L.DomUtil.addClass(title, "leaflet-control");
        corner("top", "right").appendChild(title);
        title.style.left = "";
      } else {
        L.DomUtil.removeClass(title, "leaflet-control");
        container.appendChild(title);
      }
    }
    layers.addTo(map);
    if (narrow) {
      var expand = layers.expand;
      layers.expand = function () {
        expand.call(this);
        only("layers");
        fitPanels();
        return this;
      };
      var list = layers.getContainer().querySelector(".leaflet-control-layers-list");
      var done = L.DomUtil.create("a", "dn-close", list);
      done.href = "#";
      done.setAttribute("role", "button");
      done.textContent = "Close";
      L.DomEvent.on(done, "click", function (e) {
        L.DomEvent.stop(e);
        layers.collapse();
      });
    }
    if (titleBox) { titleBox.open = !narrow; }
    if (legendBox) { legendBox.open = !narrow; }
  }
  [["title", titleBox], ["legend", legendBox]].forEach(function (pair) {
    var details = pair[1];
    if (!details) { return; }
    details.querySelector("summary").addEventListener("click", function (e) {
      if (pair[0] === "title" && !narrow) {  // the wide title does not fold: it is the heading
        e.preventDefault();
      } else if (!details.open) {
        only(pair[0]);
      }
    });
    details.addEventListener("toggle", fitPanels);
  });

  function placeTitle() {  // wide: centred between the zoom buttons and the layer list
    var from = leftColumn() + GAP;
    var to = most(panels("top", "right"), "left", map.getSize().x, Math.min) - GAP;
    var room = to - from;
    title.style.maxWidth = Math.max(0, Math.min(680, room)) + "px";
    title.style.left = (from + Math.max(0, (room - title.offsetWidth) / 2)) + "px";
  }
  function fitPanels() {  // sizes that keep every panel clear of the others
    var size = map.getSize();
    var room = size.x - leftColumn() - 2 * GAP;  // right of the zoom and view buttons
    if (title) {
      if (narrow) { title.style.maxWidth = room + "px"; } else { placeTitle(); }
    }
    var control = layers && layers.getContainer();
    if (control) {
      control.style.maxWidth = Math.min(room, 420) + "px";
      var list = control.querySelector(".leaflet-control-layers-list");
      if (list && list.offsetHeight > 0) {
        var l = box(control);
        // The layer list comes first; the legend below it keeps at least its heading.
        var floor = across(bottoms(), l.left, l.right).reduce(function (acc, p) {
          return Math.min(acc, p.el === legend ? p.bottom - 40 : p.top);
        }, size.y);
        list.style.height = "";
        list.style.maxHeight = Math.max(60, floor - GAP - box(list).top - 8) + "px";
        list.style.overflowY = "auto";
      }
    }
    if (legend) {
      var width = Math.max(120, Math.min(300, room));
      legend.style.maxWidth = width + "px";
      var g = box(legend);
      var from = size.x - GAP - width;
      var ceiling = most(across(tops(), from, size.x - GAP), "bottom", 0, Math.max);
      legend.style.maxHeight = Math.max(36, g.bottom - ceiling - GAP) + "px";
    }
  }
  function decideMode() {
    var size = map.getSize();
    var squeezed = size.x - leftColumn() - wideLayers - 4 * GAP < TITLE_MIN;
    setMode(size.x < NARROW || (!!title && squeezed));
    fitPanels();
  }

  // The view: the largest box clear of every panel, of three ways to leave them room.
  var target = data.bounds, userMoved = false, fitting = false;
  function candidates() {
    var size = map.getSize(), top = tops(), bottom = bottoms();
    var left = panels("top", "left").concat(panels("bottom", "left"));
    var right = panels("top", "right").concat(panels("bottom", "right"));
    var ceiling = title && !narrow ? box(title).bottom : 0;
    var band = [GAP, most(top, "bottom", 0, Math.max) + GAP, GAP,
                size.y - most(bottom, "top", size.y, Math.min) + GAP];
    var column = [most(left, "right", 0, Math.max) + GAP, ceiling + GAP,
                  size.x - most(right, "left", size.x, Math.min) + GAP, GAP];
    var under = [column[0], most(top, "bottom", 0, Math.max) + GAP,
                 size.x - most(panels("bottom", "right"), "left", size.x, Math.min) + GAP, GAP];
    return [band, column, under];
  }
  function show(bounds) {
    target = bounds;
    userMoved = false;
    var size = map.getSize(), b = L.latLngBounds(bounds), best = null;
    candidates().forEach(function (pad) {
      if (size.x - pad[0] - pad[2] < 100 || size.y - pad[1] - pad[3] < 100) { return; }
      var zoom = map.getBoundsZoom(b, false, L.point(pad[0] + pad[2], pad[1] + pad[3]));
      if (!best || zoom > best.zoom) { best = { zoom: zoom, pad: pad }; }
    });
    var pad = best ? best.pad : [GAP, GAP, GAP, GAP];
    fitting = true;
    map.fitBounds(b, { paddingTopLeft: [pad[0], pad[1]], paddingBottomRight: [pad[2], pad[3]],
                       maxZoom: 13, animate: false });
    fitting = false;
  }
  map.on("dragstart", function () { userMoved = true; });
  // An open popup is the reader's focus: a late resize must not refit (and re-cluster) it away.
  map.on("popupopen", function () { userMoved = true; });
  map.on("zoomstart", function () { if (!fitting) { userMoved = true; } });
  map.on("resize", function () {
    decideMode();
    if (!userMoved) { show(target); }
  });

  setMode(false);  // measured once wide, so a phone and a resize can tell if it fits
  wideLayers = layers.getContainer().offsetWidth;
  decideMode();
  if (target) { show(target); }


  // readyMs: milliseconds from navigation start until every layer is built.
  // show(bounds) and views let tests and the screenshot command pick a view as a click does.
  window.dealernetMap = {
    map: map, groups: groups, counts: data.counts, ready: true, offline: offline,
    get layers() { return layers; }, views: views, show: show, bounds: data.bounds,
    buildMs: performance.now() - started, readyMs: performance.now()
  };
})();
