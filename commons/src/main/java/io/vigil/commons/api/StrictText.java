package io.vigil.commons.api;

import jakarta.annotation.Priority;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyReader;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

/**
 * Reads a request body as text strictly: bytes that are not valid in the body's charset (UTF-8
 * unless {@code Content-Type} names another; JSON is always UTF-8) are a 400 in the API's error
 * format, instead of being replaced by U+FFFD and stored as something the client never sent.
 */
@Provider
@Consumes(MediaType.WILDCARD)
@Priority(1)
public class StrictText implements ServerMessageBodyReader<String> {

  /**
   * RESTEasy Reactive's own reader interface: the body is read on the event loop before this is
   * called, so a request is not handed to a worker thread to wait for its body.
   */
  @Override
  public boolean isReadable(
      Class<?> type,
      Type genericType,
      ResteasyReactiveResourceInfo lazyMethod,
      MediaType mediaType) {
    return type == String.class;
  }

  @Override
  public String readFrom(
      Class<String> type, Type genericType, MediaType mediaType, ServerRequestContext context)
      throws IOException {
    return decode(context.getInputStream().readAllBytes(), mediaType);
  }

  @Override
  public boolean isReadable(
      Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
    return type == String.class;
  }

  @Override
  public String readFrom(
      Class<String> type,
      Type genericType,
      Annotation[] annotations,
      MediaType mediaType,
      MultivaluedMap<String, String> headers,
      InputStream entity)
      throws IOException {
    return decode(entity.readAllBytes(), mediaType);
  }

  private static String decode(byte[] bytes, MediaType mediaType) {
    Charset charset = charset(mediaType);
    try {
      return charset
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw ApiException.badRequest("the request body is not valid " + charset.name());
    }
  }

  private static Charset charset(MediaType mediaType) {
    String name = mediaType == null ? null : mediaType.getParameters().get("charset");
    if (name == null || (mediaType.getSubtype().endsWith("json"))) {
      return StandardCharsets.UTF_8;
    }
    try {
      return Charset.forName(name);
    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
      throw new ApiException(415, "unsupported_media_type", "unknown charset '" + name + "'");
    }
  }
}
