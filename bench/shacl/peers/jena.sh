#!/usr/bin/env bash
# Runs Apache Jena SHACL (Debian package libapache-jena-java, 4.5) through JenaSummary.java,
# printing `conforms=<bool> results=<N>` like `mpli shacl validate --report summary`.
#
# usage: jena.sh --data D --shapes S
# env:   JENA_WORK  where the compiled runner and the Xerces fix live (default bench/out/jena)
#        JENA_SOURCE another runner to compile and run instead (bench/resolver/JenaConforming.java)
#
# Jena 4.5's jena-core.jar ships its shaded Xerces message bundles under
# org/apache/jena/ext/xerces/ while the code looks them up as xerces/...; any datatype error
# then dies with MissingResourceException. We extract the bundles under the expected name and
# put that folder first on the classpath.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${JENA_WORK:-$here/../../out/jena}
java_dir=/usr/share/java
if [[ ! -f $java_dir/jena-shacl.jar ]]; then
  echo "jena.sh: Apache Jena not installed; run: apt-get install -y --no-install-recommends libapache-jena-java default-jre-headless" >&2
  exit 2
fi

cp=$work/xerces-fix
# An explicit jar list: /usr/share/java/* would also pull in conflicting slf4j bindings.
for jar in jena-arq jena-base jena-core jena-iri jena-shacl commons-cli commons-codec \
  commons-compress commons-csv commons-io commons-lang3 dexx.collection gson guava httpclient \
  httpcore jackson-annotations jackson-core jackson-databind jakarta.json-api jsonld-java \
  protobuf slf4j-api slf4j-nop thrift titanium-json-ld jcl-over-slf4j; do
  cp=$cp:$java_dir/$jar.jar
done

source=${JENA_SOURCE:-$here/JenaSummary.java}
main=$(basename "$source" .java)
if [[ ! -f $work/classes/$main.class || $source -nt $work/classes/$main.class ]]; then
  mkdir -p "$work/classes"
  if [[ ! -d $work/xerces-fix/xerces ]]; then
    rm -rf "$work/xerces-fix" "$work/unpack"
    mkdir -p "$work/xerces-fix" "$work/unpack"
    (cd "$work/unpack" && unzip -q -o "$java_dir/jena-core.jar" 'org/apache/jena/ext/xerces/*.properties')
    mv "$work/unpack/org/apache/jena/ext/xerces" "$work/xerces-fix/xerces"
    rm -rf "$work/unpack"
  fi
  command -v javac >/dev/null || { echo "jena.sh: javac missing; apt-get install -y default-jdk-headless" >&2; exit 2; }
  javac -d "$work/classes" -cp "$cp" "$source"
fi
exec java ${JENA_JAVA_OPTS:-} -cp "$work/classes:$cp" "$main" "$@"
